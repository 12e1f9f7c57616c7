"""One router per shared-record resource, generated from its :class:`ResourceSpec`."""

import inspect as pyinspect
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Query, Request, Response
from sqlalchemy.orm import Session

from shekara.api.deps import CredentialsDep, SessionDep, ViewerDep, run_read, run_unit_of_work
from shekara.policy.sharing import Viewer
from shekara.records import service
from shekara.records.schemas import HitNotice, Page
from shekara.records.spec import ResourceSpec

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "The role may not do this, or the record is another agency's"},
    404: {"description": "No such record, or one the caller may not see"},
    422: {"description": "Invalid input: each error names the field and the reason"},
}


def json_response(data: Any) -> Response:
    """The service's answer, already validated against the public schema and dumped to JSON
    types, sent as is: FastAPI would otherwise validate it a second time against the
    ``response_model`` (which stays declared for the OpenAPI document)."""
    return Response(content=orjson.dumps(data), media_type="application/json")


def detail_work(
    spec: ResourceSpec, record_id: uuid.UUID
) -> Callable[[Session, Viewer | None], Response]:
    """A single-record read (``GET /api/v1/<resource>/<id>``): the FastAPI route's and the
    fast path's (:mod:`shekara.api.fastpath`) one implementation."""

    def work(session: Session, viewer: Viewer | None) -> Response:
        return json_response(service.get_record(session, viewer, spec, record_id))

    return work


def _filters_from(request: Request, spec: ResourceSpec) -> dict[str, Any]:
    from shekara.errors import ValidationFailed

    out: dict[str, Any] = {}
    errors = []
    for name, (typ, _desc, _fn) in spec.filters.items():
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            continue
        try:
            if typ is int:
                out[name] = int(raw)
            elif typ is uuid.UUID:
                out[name] = uuid.UUID(raw)
            elif typ.__name__ == "datetime":
                from datetime import datetime

                v = datetime.fromisoformat(raw.replace("Z", "+00:00"))
                if v.tzinfo is None:
                    raise ValueError("needs a time zone, e.g. 2024-01-01T00:00:00Z")
                out[name] = v
            else:
                out[name] = raw
        except ValueError as e:
            errors.append({"field": name, "message": str(e)})
    if errors:
        raise ValidationFailed(errors)
    return out


def make_router(spec: ResourceSpec) -> APIRouter:
    router = APIRouter(prefix=f"/{spec.name}", tags=[spec.title], responses=ERRORS)
    Public = spec.public_schema
    Create = spec.create_schema
    Update = spec.update_schema

    async def list_(
        request: Request,
        creds: CredentialsDep,
        q: Annotated[str | None, Query(description="Text search")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0)] = 0,
        **_filters: Any,
    ) -> Any:
        filters = _filters_from(request, spec)
        page_size_max = request.app.state.settings.page_size_max

        def work(session: Session, viewer: Viewer | None) -> Response:
            page = service.list_records(
                session,
                viewer,
                spec,
                filters=filters,
                q=q,
                limit=min(limit, page_size_max),
                offset=offset,
            )
            return json_response(page.model_dump(mode="json"))

        return await run_unit_of_work(creds, work)

    # Advertise the resource's filters as query parameters in the OpenAPI document.
    params = [
        p
        for p in pyinspect.signature(list_).parameters.values()
        if p.kind != pyinspect.Parameter.VAR_KEYWORD
    ]
    for name, (typ, desc, _fn) in spec.filters.items():
        params.append(
            pyinspect.Parameter(
                name,
                pyinspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[typ | None, Query(description=desc)],
                default=None,
            )
        )
    list_.__signature__ = pyinspect.Signature(params)  # type: ignore[attr-defined]
    router.add_api_route(
        "",
        list_,
        methods=["GET"],
        response_model=Page[Public],  # type: ignore[valid-type]
        summary=f"List {spec.name} the caller may see",
    )

    async def get_(record_id: uuid.UUID, creds: CredentialsDep) -> Any:
        return await run_read(creds, detail_work(spec, record_id))

    router.add_api_route(
        "/{record_id}",
        get_,
        methods=["GET"],
        response_model=Public | HitNotice,
        summary=f"Read one of {spec.name} (a hit notice if hit/no-hit only)",
    )

    def create(
        session: SessionDep,
        viewer: ViewerDep,
        data: Annotated[
            Create,  # type: ignore[valid-type]
            Body(openapi_examples={"example": {"value": spec.create_example}}),
        ],
    ) -> Any:
        return service.create_record(session, viewer, spec, data)

    router.add_api_route(
        "",
        create,
        methods=["POST"],
        status_code=201,
        response_model=Public,
        summary=f"Create one of {spec.name}, owned by the caller's agency",
    )

    def update(
        record_id: uuid.UUID,
        session: SessionDep,
        viewer: ViewerDep,
        data: Update,  # type: ignore[valid-type]
    ) -> Any:
        return service.update_record(session, viewer, spec, record_id, data)

    router.add_api_route(
        "/{record_id}",
        update,
        methods=["PATCH"],
        response_model=Public,
        summary="Change a record (owner agency only)",
    )

    def delete(record_id: uuid.UUID, session: SessionDep, viewer: ViewerDep) -> Response:
        service.delete_record(session, viewer, spec, record_id)
        return Response(status_code=204)

    router.add_api_route(
        "/{record_id}",
        delete,
        methods=["DELETE"],
        status_code=204,
        summary="Delete a record (owner agency only)",
    )
    return router
