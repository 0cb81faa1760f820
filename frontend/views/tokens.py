"""The user's API token: create (the key is shown once), revoke. Both through audits.services.tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audits import selectors
from audits.choices import EventAction
from audits.exceptions import ApplicationError
from audits.services.tokens import token_create, token_revoke


def _page(request, *, new_key: str = "", status: int = 200):
    events = [
        (e, EventAction(e.action).label if e.action in EventAction.values else e.action)
        for e in selectors.account_event_list(user=request.user)[:10]
    ]
    context = {
        "token": selectors.api_token_for(user=request.user),
        "new_key": new_key,
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
    token = token_create(user=request.user)
    return _page(request, new_key=token.key)


@login_required
@require_POST
def account_token_revoke(request):
    try:
        token_revoke(user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your API token was revoked: requests carrying it are refused from now on.")
    return redirect("frontend:account-tokens")
