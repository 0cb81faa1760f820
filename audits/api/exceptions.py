"""One error shape for every endpoint (drf-standardized-errors):

    {"type": "validation_error" | "client_error" | "server_error",
     "errors": [{"code": "...", "detail": "the message", "attr": "the input at fault, or null"}]}

Service errors keep their message and their `field` (as `attr`) and status: ApplicationError 400, its
PermissionDeniedError 403 and NotFoundError 404; a write refused by an append-only record is a 409.
"""

from django.http import JsonResponse
from django.views.defaults import page_not_found
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, status

from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models.immutable import ImmutableRecordError


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record cannot be changed."
    default_code = "conflict"


def _error_detail(message: str, code: str, field: str | None):
    detail = exceptions.ErrorDetail(message, code=code)
    return {field: [detail]} if field else [detail]


def api_exception(exc: ApplicationError) -> exceptions.APIException:
    """The DRF exception of a service error: same status and message, `field` as the error's `attr`."""
    if isinstance(exc, NotFoundError):
        return exceptions.NotFound(_error_detail(exc.message, "not_found", exc.field))
    if isinstance(exc, PermissionDeniedError):
        return exceptions.PermissionDenied(_error_detail(exc.message, "permission_denied", exc.field))
    if exc.status_code == status.HTTP_400_BAD_REQUEST:
        return exceptions.ValidationError(_error_detail(exc.message, "invalid", exc.field))
    converted = exceptions.APIException(_error_detail(exc.message, "error", exc.field))
    converted.status_code = exc.status_code
    return converted


class ApiExceptionHandler(ExceptionHandler):
    """drf-standardized-errors' handler, knowing the domain's exceptions."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, ApplicationError):
            return api_exception(exc)
        if isinstance(exc, ImmutableRecordError):
            return Conflict(str(exc))
        return super().convert_known_exceptions(exc)


def not_found(request, exception=None):
    """The site's 404 (handler404): under /api/ the API's JSON error (a path no route matches, e.g. an id that is
    not a whole number), elsewhere Django's page."""
    if request.path.startswith("/api/"):
        error = {"code": "not_found", "detail": "Not found.", "attr": None}
        return JsonResponse({"type": "client_error", "errors": [error]}, status=404)
    return page_not_found(request, exception)
