"""The case page's forms: change the status (allowed transitions only) and hand a case over.

Both call :mod:`shekara.cases.service`, which checks the owner and the transition and audits
the change; a refused form re-displays the case page with the message on its field.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from shekara.accounts.constants import Perm
from shekara.api.deps import SessionDep
from shekara.cases import service as cases
from shekara.cases.schemas import Handover, StatusChange
from shekara.errors import AppError, Conflict, Forbidden, NotFound
from shekara.records.service import require
from shekara.web.forms import flat, pydantic_errors, service_errors
from shekara.web.i18n import translator
from shekara.web.rendering import ENUM_LABELS
from shekara.web.security import CheckedForm, SignedIn, locale_of
from shekara.web.views.records import show_record

router = APIRouter(prefix="/records/cases")


def _apply(
    request: Request,
    session: SessionDep,
    viewer: SignedIn,
    case_id: uuid.UUID,
    form: CheckedForm,
    schema: type[BaseModel],
    prefix: str,
) -> Response:
    require(viewer, Perm.write)
    t = translator(locale_of(request))
    values = flat(form)
    data = {k.removeprefix(prefix): v.strip() for k, v in values.items() if k.startswith(prefix)}
    errors: dict[str, str] = {}
    try:
        model = schema.model_validate({k: v for k, v in data.items() if v or k == "note"})
        nested = session.begin_nested()
        try:
            if isinstance(model, StatusChange):
                cases.change_status(session, viewer, case_id, model)
            elif isinstance(model, Handover):
                cases.hand_over(session, viewer, case_id, model)
            nested.commit()
        except (NotFound, Forbidden):
            nested.rollback()
            raise  # 404 / 403 exactly as the API
        except Conflict as e:
            nested.rollback()
            codes = e.detail.partition("allowed: ")[2].split(", ")
            names = ENUM_LABELS["case_status"]
            allowed = ", ".join(t.gettext(names[c]) if c in names else c for c in codes)
            errors[e.field or "status"] = t.gettext(
                "This case cannot move to that status now. Allowed: %(allowed)s.",
                allowed=allowed,
            )
        except AppError as e:
            nested.rollback()
            errors = service_errors(e, t)
    except ValidationError as e:
        errors = pydantic_errors(e, t)
    if errors:
        return show_record(
            request,
            session,
            viewer,
            "cases",
            case_id,
            values=values,
            errors={f"{prefix}{k}": v for k, v in errors.items()},
            status_code=422,
        )
    return RedirectResponse(f"/records/cases/{case_id}", status_code=303)


@router.post("/{case_id}/status")
def change_status(
    request: Request,
    case_id: uuid.UUID,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    return _apply(request, session, viewer, case_id, form, StatusChange, "status_")


@router.post("/{case_id}/handover")
def hand_over(
    request: Request,
    case_id: uuid.UUID,
    form: CheckedForm,
    session: SessionDep,
    viewer: SignedIn,
) -> Response:
    return _apply(request, session, viewer, case_id, form, Handover, "handover_")
