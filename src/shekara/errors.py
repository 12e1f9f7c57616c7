"""One exception hierarchy. The API maps each to a JSON body; the CLI to an exit code."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error Shekara reports to a user."""

    status = 400
    code = "error"

    def __init__(
        self, detail: str, *, field: str | None = None, extra: dict[str, Any] | None = None
    ):
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra or {}

    def to_dict(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.detail}
        if self.field:
            err["field"] = self.field
        err.update(self.extra)
        return {"errors": [err]}


class ValidationFailed(AppError):
    status = 422
    code = "invalid"

    def __init__(self, errors: list[dict[str, Any]]):
        super().__init__("; ".join(f"{e.get('field', '')}: {e['message']}" for e in errors))
        self.errors = errors

    def to_dict(self) -> dict[str, Any]:
        return {"errors": [{"code": self.code, **e} for e in self.errors]}


class NotFound(AppError):
    """Also what an invisible record answers: it must look exactly like a missing one."""

    status = 404
    code = "not_found"


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    status = 409
    code = "conflict"


class ConfigurationError(AppError):
    status = 500
    code = "configuration"
