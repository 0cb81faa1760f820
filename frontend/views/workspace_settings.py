"""Workspace settings (admins): members and their roles. Every change goes through a workspaces service."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audits import selectors
from audits.choices import Role
from audits.exceptions import ApplicationError
from audits.services.workspaces import (
    membership_add,
    membership_change_role,
    membership_remove,
    workspace_require_role,
)
from frontend.forms import show_service_error
from frontend.forms_govern import MemberAddForm, MemberRoleForm

from ._common import is_refusal, refused_page


def admin_page(view):
    """Resolve the workspace `slug` for its admins: 404 for non-members, the refusal page (403) for other roles."""

    @wraps(view)
    def wrapped(request, slug: str, **kwargs):
        workspace = selectors.workspace_list(user=request.user).filter(slug=slug).first()
        if workspace is None:
            raise Http404("Workspace not found")
        try:
            workspace_require_role(user=request.user, workspace=workspace, roles=(Role.ADMIN,))
        except ApplicationError as exc:
            return refused_page(request, exc)
        return view(request, workspace, **kwargs)

    return login_required(wrapped)


def _page(request, workspace, *, add_form=None, row_errors=None, status=200):
    members = list(selectors.membership_list(user=request.user, workspace=workspace))
    row_errors = row_errors or {}
    rows = [
        (m, MemberRoleForm(initial={"role": m.role}, prefix=f"m{m.user_id}"), row_errors.get(m.user_id, ""))
        for m in members
    ]
    context = {
        "workspace": workspace,
        "rows": rows,
        "add_form": add_form or MemberAddForm(),
        "roles": Role.choices,
        "webhook_count": selectors.webhook_endpoint_list(user=request.user).filter(workspace=workspace).count(),
        "storage_used": selectors.workspace_storage_used(workspace=workspace),
        "storage_quota": settings.AUDIT_WORKSPACE_QUOTA_BYTES,
    }
    return render(request, "frontend/workspaces/settings.html", context, status=status)


@admin_page
def workspace_settings(request, workspace):
    return _page(request, workspace)


@require_POST
@admin_page
def workspace_member_add(request, workspace):
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = membership_add(
                workspace=workspace,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
                actor=request.user,
            )
        except ApplicationError as exc:
            if is_refusal(exc):
                return refused_page(request, exc)
            show_service_error(form, exc)
        else:
            messages.success(request, f"{membership.user.get_username()} joined as {membership.get_role_display()}.")
            return redirect("frontend:workspace-settings", slug=workspace.slug)
    return _page(request, workspace, add_form=form, status=400)


def _member(request, workspace, user_id: int):
    membership = selectors.membership_list(user=request.user, workspace=workspace).filter(user_id=user_id).first()
    if membership is None:
        raise Http404("Member not found")
    return membership.user


@require_POST
@admin_page
def workspace_member_role(request, workspace, user_id: int):
    member = _member(request, workspace, user_id)
    form = MemberRoleForm(request.POST, prefix=f"m{user_id}")
    if not form.is_valid():
        return _page(request, workspace, row_errors={user_id: "Choose one of the roles."}, status=400)
    try:
        membership = membership_change_role(
            workspace=workspace, user=member, role=form.cleaned_data["role"], actor=request.user
        )
    except ApplicationError as exc:
        if is_refusal(exc) and exc.field != "member":
            return refused_page(request, exc)
        return _page(request, workspace, row_errors={user_id: exc.message}, status=400)
    messages.success(request, f"{member.get_username()} is now {membership.get_role_display()}.")
    return redirect("frontend:workspace-settings", slug=workspace.slug)


@require_POST
@admin_page
def workspace_member_remove(request, workspace, user_id: int):
    member = _member(request, workspace, user_id)
    try:
        membership_remove(workspace=workspace, user=member, actor=request.user)
    except ApplicationError as exc:
        if is_refusal(exc) and exc.field != "member":
            return refused_page(request, exc)
        return _page(request, workspace, row_errors={user_id: exc.message}, status=400)
    messages.success(request, f"{member.get_username()} was removed from {workspace.name}.")
    if member == request.user:
        return redirect("frontend:home")
    return redirect("frontend:workspace-settings", slug=workspace.slug)
