"""What every page shares: scoped look-ups (404 outside the user's workspaces) and service errors as pages."""

from django.http import Http404
from django.shortcuts import render

from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError


def get_scoped(queryset, pk: int, what: str):
    """The object `pk` of a selector's queryset; 404 when it is not in the user's workspaces."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"{what} not found")
    return obj


def refused_page(request, exc: ApplicationError):
    """The page shown when the service refuses the user (403: role) or cannot see the workspace (404)."""
    status = 404 if isinstance(exc, NotFoundError) else 403
    return render(request, "frontend/refused.html", {"message": exc.message}, status=status)


def is_refusal(exc: ApplicationError) -> bool:
    return isinstance(exc, PermissionDeniedError | NotFoundError)
