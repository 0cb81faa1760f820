"""Map service errors to clear JSON responses (never a 500 for bad input)."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from audits.exceptions import ApplicationError
from audits.models.immutable import ImmutableRecordError


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=exc.status_code)
    if isinstance(exc, ImmutableRecordError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return exception_handler(exc, context)
