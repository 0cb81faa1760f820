"""What every page shares: scoped look-ups (404 outside the user's workspaces) and service errors as pages."""

from django.http import Http404
from django.shortcuts import render

from audits import selectors
from audits.choices import Role
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError

NO_WORKSPACE = "You belong to no workspace yet, so there is nowhere to create this."


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


def read_only_page(request):
    """The refused page (403) instead of a form that creates something, for a user who may create nothing in any
    workspace (the navigation hides its links by the same selector). Only the empty form is refused here: what is
    posted goes to the service, which decides."""
    if request.method != "GET" or selectors.workspace_writable_list(user=request.user).exists():
        return None
    roles = selectors.workspace_roles(user=request.user)
    workspaces = selectors.workspace_list(user=request.user).order_by("name")
    if not roles:
        message = NO_WORKSPACE
    else:
        held = "; ".join(f"{Role(roles[w.pk]).label.lower()} in {w.name}" for w in workspaces)
        message = (
            f"Your role ({held}) lets you read datasets, models and reports, not create them: uploading datasets, "
            "registering models and starting audits need the auditor or admin role."
        )
    return render(request, "frontend/refused.html", {"message": message}, status=403)


def version_rows(versions) -> list[tuple]:
    """(version, the older version whose content it repeats or None), newest first: a re-upload of identical
    content is a version too, and the page says so."""
    versions = list(versions)
    rows = []
    for index, version in enumerate(versions):
        older = next((o for o in versions[index + 1 :] if o.sha256 == version.sha256), None)
        rows.append((version, older))
    return rows
