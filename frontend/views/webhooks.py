"""Webhooks of a workspace (admins, like the rest of its settings): list, add, edit, delete, send a test, and the
delivery log, refreshed by htmx while a message is pending. Every change goes through services.webhooks."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from audits import selectors
from audits.choices import DeliveryStatus
from audits.exceptions import ApplicationError
from audits.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_test,
    webhook_endpoint_update,
)
from frontend.forms import show_service_error
from frontend.forms_webhooks import WebhookAddForm, WebhookEditForm

from ._common import is_refusal, refused_page
from .workspace_settings import admin_page

LOG_ROWS = 50


def _no_store(response):
    response["Cache-Control"] = "no-store"  # the pages show signing secrets
    return response


def _endpoint(request, workspace, pk: int):
    endpoint = selectors.webhook_endpoint_list(user=request.user).filter(workspace=workspace, pk=pk).first()
    if endpoint is None:
        raise Http404("Webhook not found")
    return endpoint


def _list_page(request, workspace, *, form=None, status=200):
    endpoints = list(selectors.webhook_endpoint_list(user=request.user).filter(workspace=workspace))
    for endpoint in endpoints:
        endpoint.last_delivery = endpoint.deliveries.order_by("-created_at", "-id").first()
    context = {"workspace": workspace, "endpoints": endpoints, "form": form or WebhookAddForm()}
    return _no_store(render(request, "frontend/webhooks/list.html", context, status=status))


@admin_page
def webhook_list(request, workspace):
    return _list_page(request, workspace)


@require_POST
@admin_page
def webhook_add(request, workspace):
    form = WebhookAddForm(request.POST)
    if form.is_valid():
        try:
            endpoint = webhook_endpoint_create(actor=request.user, workspace=workspace, **form.cleaned_data)
        except ApplicationError as exc:
            if is_refusal(exc):
                return refused_page(request, exc)
            show_service_error(form, exc)
        else:
            messages.success(request, "Webhook added. Give its signing secret (below) to the receiver.")
            return redirect("frontend:webhook-detail", slug=workspace.slug, pk=endpoint.pk)
    return _list_page(request, workspace, form=form, status=400)


def _log_context(request, endpoint) -> dict:
    deliveries = list(selectors.webhook_delivery_list(user=request.user, endpoint=endpoint)[:LOG_ROWS])
    return {
        "endpoint": endpoint,
        "workspace": endpoint.workspace,
        "deliveries": deliveries,
        "pending": any(d.status == DeliveryStatus.PENDING for d in deliveries),
    }


def _detail_page(request, workspace, endpoint, *, form=None, status=200):
    initial = {f: getattr(endpoint, f) for f in ("url", "description", "events", "enabled")}
    context = {**_log_context(request, endpoint), "form": form or WebhookEditForm(initial=initial)}
    return _no_store(render(request, "frontend/webhooks/detail.html", context, status=status))


@admin_page
def webhook_detail(request, workspace, pk: int):
    """The endpoint's form (GET shows it, POST saves it) and its delivery log."""
    endpoint = _endpoint(request, workspace, pk)
    if request.method != "POST":
        return _detail_page(request, workspace, endpoint)
    form = WebhookEditForm(request.POST)
    if form.is_valid():
        try:
            webhook_endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        except ApplicationError as exc:
            if is_refusal(exc):
                return refused_page(request, exc)
            show_service_error(form, exc)
        else:
            rotated = (
                " It has a new signing secret: give it to the receiver." if form.cleaned_data["rotate_secret"] else ""
            )
            messages.success(request, "Webhook saved." + rotated)
            return redirect("frontend:webhook-detail", slug=workspace.slug, pk=endpoint.pk)
    return _detail_page(request, workspace, endpoint, form=form, status=400)


@admin_page
def webhook_deliveries(request, workspace, pk: int):
    """The delivery log alone (htmx); it asks to be fetched again while a message is pending."""
    endpoint = _endpoint(request, workspace, pk)
    return render(request, "frontend/webhooks/_deliveries.html", _log_context(request, endpoint))


@require_POST
@admin_page
def webhook_test(request, workspace, pk: int):
    endpoint = _endpoint(request, workspace, pk)
    try:
        delivery = webhook_endpoint_test(actor=request.user, endpoint=endpoint)
    except ApplicationError as exc:
        return refused_page(request, exc)
    messages.success(request, f"Test message {delivery.message_id} queued; its delivery shows in the log below.")
    return redirect("frontend:webhook-detail", slug=workspace.slug, pk=endpoint.pk)


@require_POST
@admin_page
def webhook_delete(request, workspace, pk: int):
    endpoint = _endpoint(request, workspace, pk)
    try:
        webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
    except ApplicationError as exc:
        return refused_page(request, exc)
    messages.success(request, f"The webhook to {endpoint.url} was deleted, with its delivery log.")
    return redirect("frontend:webhook-list", slug=workspace.slug)
