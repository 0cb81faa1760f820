"""Trail: the events of the user's workspaces, filtered and paginated, and the chain's verification (staff)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from audits import selectors
from audits.choices import EventAction, EventObjectType
from audits.services.trail import trail_verify
from frontend.forms_govern import TrailFilterForm

PAGE_SIZE = 50

# The page of each kind of object that has one (the others are shown by name and id only).
_OBJECT_PAGES = {
    EventObjectType.REPORT: "frontend:report-detail",
    EventObjectType.RUN: "frontend:run-detail",
    EventObjectType.DATASET: "frontend:dataset-detail",
    EventObjectType.MODEL: "frontend:model-detail",
}


_HEX = frozenset("0123456789abcdef")


def _value(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {_value(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) or "none"
    if isinstance(value, str) and len(value) == 64 and set(value) <= _HEX:
        return value[:12] + "…"  # a sha256: its start identifies it; the full value is in the API and exports
    return "–" if value is None or value == "" else str(value)


def _changes(event) -> list[str]:
    """before/after as short sentences ("role: reviewer → auditor"), never raw JSON."""
    before, after = event.before or {}, event.after or {}
    if event.action == EventAction.REPORT_VIEWS_RECORDED and {"count", "reports", "from", "to"} <= set(after):
        count, reports = after["count"], after["reports"]
        return [
            f"{count} opening{'s' if count != 1 else ''} of {reports} report{'s' if reports != 1 else ''}",
            f"access-log ids {after['from'] + 1}–{after['to']}, sha256 {_value(after.get('sha256'))}",
        ]
    lines = []
    for key in dict.fromkeys([*after, *before]):
        label = key.replace("_", " ")
        if key in before and key in after and before[key] != after[key]:
            lines.append(f"{label}: {_value(before[key])} → {_value(after[key])}")
        elif key in after:
            lines.append(f"{label}: {_value(after[key])}")
        else:
            lines.append(f"{label} was: {_value(before[key])}")
    return [line if len(line) <= 160 else line[:157] + "…" for line in lines]


def _rows(events, user) -> list[dict]:
    review_ids = [int(e.object_id) for e in events if e.object_type == EventObjectType.REVIEW and e.object_id.isdigit()]
    review_reports = dict(selectors.review_list(user=user).filter(pk__in=review_ids).values_list("pk", "report_id"))
    rows = []
    for event in events:
        url_name = _OBJECT_PAGES.get(event.object_type)
        link = reverse(url_name, args=[event.object_id]) if url_name and event.object_id.isdigit() else ""
        if event.object_type == EventObjectType.REVIEW and event.object_id.isdigit():
            report_id = review_reports.get(int(event.object_id))
            link = reverse("frontend:report-detail", args=[report_id]) if report_id else ""
        kind = EventObjectType(event.object_type).label if event.object_type in EventObjectType.values else ""
        action = EventAction(event.action).label if event.action in EventAction.values else event.action
        rows.append(
            {
                "event": event,
                "action": action,
                "object": f"{kind or event.object_type} #{event.object_id}",
                "link": link,
                "changes": _changes(event),
            }
        )
    return rows


@login_required
def trail(request):
    """Newest first; with HTMX the filters and pages swap only the results."""
    form = TrailFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        events = selectors.audit_event_list(user=request.user).none()
    else:
        filters = form.cleaned_data if form.is_bound else {}
        events = selectors.audit_event_list(
            user=request.user,
            workspace=filters.get("workspace"),
            action=filters.get("action", ""),
            actor=filters.get("actor", ""),
            object_type=filters.get("object_type", ""),
        ).select_related("workspace")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": _rows(list(page), request.user),
        "filtered": any(request.GET.get(k) for k in form.fields),
    }
    template = "frontend/trail/_results.html" if request.htmx else "frontend/trail/list.html"
    return render(request, template, context)


@login_required
def trail_verification(request):
    """The chain's verification, for staff only. trail_verify walks every workspace's events (the chain is one
    for the whole platform), so its counts and the id of a broken entry describe other workspaces' activity, and
    each call re-hashes the whole trail: letting any member trigger it would leak activity volume and let anyone
    load the database. Members read a sentence saying administrators verify the chain instead."""
    if not request.user.is_staff:
        raise Http404("Not found")
    return render(request, "frontend/trail/_verification.html", {"result": trail_verify()})
