"""The user's API tokens: listed (name, scope, created, expiry), created (the key is shown once), each revoked.
All through audits.services.tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audits import selectors
from audits.choices import EventAction, TokenScope
from audits.exceptions import ApplicationError
from audits.services.tokens import token_create, token_revoke
from frontend.forms_govern import TokenCreateForm


def _scope(token) -> str:
    row = getattr(token, "platform_scope", None)
    return row.scope if row else TokenScope.READ


def _page(request, *, form=None, new_key: str = "", new_scope: str = "", status: int = 200):
    events = [
        (e, EventAction(e.action).label if e.action in EventAction.values else e.action)
        for e in selectors.account_event_list(user=request.user)[:10]
    ]
    tokens = [
        {
            "token": token,
            "name": getattr(getattr(token, "platform_scope", None), "name", ""),
            "scope": TokenScope(_scope(token)).label,
            "read_only": _scope(token) == TokenScope.READ,
        }
        for token in selectors.api_token_list(user=request.user)
    ]
    context = {
        "tokens": tokens,
        "form": form or TokenCreateForm(),
        "new_key": new_key,
        "new_read_only": new_scope == TokenScope.READ,
        "events": events,
        "api_root": request.build_absolute_uri("/api/v1/"),
    }
    response = render(request, "frontend/account/tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may carry a secret shown once
    return response


@login_required
def account_tokens(request):
    return _page(request)


@login_required
@require_POST
def account_token_create(request):
    """Answer with the page itself (no redirect), so the new key is in this response only and never in a URL."""
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    try:
        token, key = token_create(
            user=request.user,
            scope=form.cleaned_data["scope"],
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
            via="web",
        )
    except ApplicationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, form=form, status=400)
    return _page(request, new_key=key, new_scope=form.cleaned_data["scope"])


@login_required
@require_POST
def account_token_revoke(request, token_id: str):
    try:
        token_revoke(user=request.user, token_id=token_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The API token was revoked: requests carrying it are refused from now on.")
    return redirect("frontend:account-tokens")
