"""Errors raised by services; the API maps them to 400/403/404 responses with their message."""


class ApplicationError(Exception):
    """An illegal request or state. `field` names the input at fault, when there is one."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}


class PermissionDeniedError(ApplicationError):
    """The user is a member of the workspace but their role does not allow the action."""

    status_code = 403


class NotFoundError(ApplicationError):
    """The object does not exist in the user's workspaces (foreign objects look the same: 404)."""

    status_code = 404
