"""Every page of the app, by its URL name in frontend/urls.py: outsiders get 404 on this workspace's objects, a
viewer sees no write control, and every page passes axe-core in Chromium as the auditor and as the reviewer.
A model-only report shows its CrowS-Pairs and WEAT scores in the browser. Screenshots: var/screenshots/all-*.png.
"""

import re
from html import unescape

import pytest
from django.urls import reverse

from audits.choices import ExportFormat, Role
from audits.models import WebhookDelivery, WebhookEndpoint
from audits.services.reviews import review_submit
from audits.services.schedules import schedule_create
from audits.services.webhooks import webhook_endpoint_create
from audits.services.workspaces import membership_set, user_get_or_create
from frontend.urls import urlpatterns
from tests.audits.factories import AuditReportFactory
from tests.frontend.helpers import log_in
from tests.frontend.report_helpers import stored_report
from tests.frontend.test_workflow_browser import Pages

# Every URL name, by what it needs. A new page must be placed here (the first test fails otherwise).
OBJECT_PAGES = {  # pages of one object of the workspace: GET, 404 to an outsider
    "dataset-detail": lambda o: {"pk": o["dataset"].pk},
    "model-detail": lambda o: {"pk": o["model"].pk},
    "model-what-if": lambda o: {"pk": o["model"].pk},
    "run-detail": lambda o: {"pk": o["run"].pk},
    "run-status": lambda o: {"pk": o["run"].pk},
    "dataset-status": lambda o: {"pk": o["dataset"].pk},
    "model-status": lambda o: {"pk": o["model"].pk},
    "report-detail": lambda o: {"pk": o["report"].pk},
    "workspace-settings": lambda o: {"slug": o["workspace"].slug},
    "schedule-edit": lambda o: {"pk": o["schedule"].pk},
    "webhook-list": lambda o: {"slug": o["workspace"].slug},
    "webhook-detail": lambda o: {"slug": o["workspace"].slug, "pk": o["webhook"].pk},
    "webhook-deliveries": lambda o: {"slug": o["workspace"].slug, "pk": o["webhook"].pk},
}
OBJECT_DOWNLOADS = {"report-download": lambda o, fmt: {"pk": o["report"].pk, "fmt": fmt}}
OBJECT_ACTIONS = {  # POST only, on one object of the workspace: 404 to an outsider, nothing changes
    "report-review": lambda o: {"pk": o["report"].pk, "action": "approve"},
    "model-what-if-evidence": lambda o: {"pk": o["model"].pk},
    "workspace-member-add": lambda o: {"slug": o["workspace"].slug},
    "workspace-member-role": lambda o: {"slug": o["workspace"].slug, "user_id": o["auditor"].pk},
    "workspace-member-remove": lambda o: {"slug": o["workspace"].slug, "user_id": o["auditor"].pk},
    "schedule-pause": lambda o: {"pk": o["schedule"].pk},
    "schedule-resume": lambda o: {"pk": o["schedule"].pk},
    "schedule-delete": lambda o: {"pk": o["schedule"].pk},
    "webhook-add": lambda o: {"slug": o["workspace"].slug},
    "webhook-test": lambda o: {"slug": o["workspace"].slug, "pk": o["webhook"].pk},
    "webhook-delete": lambda o: {"slug": o["workspace"].slug, "pk": o["webhook"].pk},
}
ADMIN_PAGES = {"workspace-settings", "webhook-list", "webhook-detail"}  # refused (403) to every other role
PAGES = [  # pages that hold no object id: each user sees their own workspaces' objects only
    "home", "dataset-list", "dataset-upload", "model-list", "model-register", "plan-new", "run-list",
    "report-compare", "trail", "account-tokens", "schedule-list", "schedule-new",
]  # fmt: skip
PARTIALS = ["home-in-progress"]  # the dashboard's polled fragment
STAFF_ONLY = ["trail-verify"]  # re-hashes the platform's whole trail: 404 to every member who is not staff
OWN_ACTIONS = ["account-token-create", "account-token-revoke", "login", "logout"]  # the user's own, no workspace
UPLOAD_PREVIEW = ["dataset-upload-preview"]  # POST of the user's own file: stores nothing, reads no object

# Refused (403) to a user who may create nothing.
CREATE_FORMS = ("dataset-upload", "model-register", "plan-new", "schedule-new")
WRITE_CONTROLS = (
    "Upload dataset", "Register model", "New audit", "Run now", "Submit for review", "Approve",
    "New schedule", "Create schedule", "Schedule this plan", "Edit", "Pause", "Resume", "Delete",
)  # fmt: skip
# A viewer is refused, saying why (what-ifs: auditors, reviewers and admins; viewers read saved ones on reports).
WRITERS_ONLY = {"workspace-settings": 403, "schedule-edit": 403, "model-what-if": 403}


def _objects(auditor, reviewer, workspace) -> dict:
    report = AuditReportFactory(user=auditor, workspace=workspace)
    review_submit(user=auditor, report=report)  # the reviewer's page shows "Start review"
    plan = report.run.plan
    schedule = schedule_create(actor=auditor, plan=plan, kind="cron", cron="0 6 * * 1", timezone="Europe/Berlin")
    admin = user_get_or_create(username="ada-admin", password="pw-ada")
    membership_set(workspace=workspace, user=admin, role=Role.ADMIN, actor=auditor)
    webhook = webhook_endpoint_create(
        actor=admin, workspace=workspace, url="https://hooks.example.org/a", events=["run.succeeded"]
    )
    return {
        "auditor": auditor,
        "webhook": webhook,
        "workspace": workspace,
        "dataset": plan.dataset,
        "model": plan.model,
        "run": report.run,
        "report": report,
        "crows_pairs": stored_report(auditor, workspace, "language_model"),
        "weat": stored_report(auditor, workspace, "encoder"),
        "rerun": AuditReportFactory(user=auditor, run__plan=plan),  # a second report of the plan, to compare
        "schedule": schedule,
    }


def _url_names() -> set[str]:
    return {p.name for p in urlpatterns}


def _object_urls(objects) -> dict[str, str]:
    urls = {name: reverse(f"frontend:{name}", kwargs=kwargs(objects)) for name, kwargs in OBJECT_PAGES.items()}
    for name, kwargs in OBJECT_DOWNLOADS.items():
        for fmt in ExportFormat.values:
            urls[f"{name}:{fmt}"] = reverse(f"frontend:{name}", kwargs=kwargs(objects, fmt))
    # Pages without an id in the path that take one in the query.
    urls["report-compare?b"] = f"{reverse('frontend:report-compare')}?b={objects['report'].pk}"
    urls["report-compare?a&b"] = (
        f"{reverse('frontend:report-compare')}?a={objects['report'].pk}&b={objects['rerun'].pk}"
    )
    return urls


def _page_urls(objects) -> dict[str, str]:
    """Every page a person reads (no fragment, no download), with this workspace's objects."""
    urls = {name: reverse(f"frontend:{name}") for name in PAGES}
    urls |= {name: reverse(f"frontend:{name}", kwargs=kwargs(objects)) for name, kwargs in OBJECT_PAGES.items()}
    del urls["run-status"]  # the run page's polled fragment
    del urls["dataset-status"]  # the dataset page's polled fragment
    del urls["model-status"]  # the model page's polled fragment
    del urls["webhook-deliveries"]  # the webhook page's polled fragment
    urls["report-detail:crows-pairs"] = reverse("frontend:report-detail", kwargs={"pk": objects["crows_pairs"].pk})
    urls["report-detail:weat"] = reverse("frontend:report-detail", kwargs={"pk": objects["weat"].pk})
    urls["report-compare?a&b"] = _object_urls(objects)["report-compare?a&b"]
    urls["plan-new?model"] = f"{reverse('frontend:plan-new')}?model={objects['model'].pk}"
    return urls


def _controls(html: str) -> list[str]:
    """The visible text of every button and link of the page."""
    found = re.findall(r"<(button|a)\b[^>]*>(.*?)</\1>", html, flags=re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split()) for _, text in found]


def test_every_url_name_is_placed_and_an_outsider_gets_404_on_every_object_of_the_workspace(
    auditor, reviewer, workspace, outsider_page
):
    placed = {*OBJECT_PAGES, *OBJECT_DOWNLOADS, *OBJECT_ACTIONS, *PAGES, *PARTIALS, *STAFF_ONLY, *OWN_ACTIONS}
    placed |= set(UPLOAD_PREVIEW)
    assert placed == _url_names()
    objects = _objects(auditor, reviewer, workspace)

    for name, url in _object_urls(objects).items():
        assert outsider_page.get(url).status_code == 404, name
    for name in STAFF_ONLY:
        assert outsider_page.get(reverse(f"frontend:{name}")).status_code == 404, name
    for name, kwargs in OBJECT_ACTIONS.items():
        response = outsider_page.post(reverse(f"frontend:{name}", kwargs=kwargs(objects)), {"role": "admin"})
        assert response.status_code == 404, name
    objects["report"].refresh_from_db()
    assert objects["report"].review.status == "submitted"
    assert WebhookEndpoint.objects.filter(pk=objects["webhook"].pk).exists()
    assert not WebhookDelivery.objects.filter(event_type="webhook.test").exists()  # no test message was sent

    names = [objects["dataset"].name, objects["model"].name, objects["run"].plan.name, workspace.name]
    for name in [*PAGES, *PARTIALS]:
        response = outsider_page.get(reverse(f"frontend:{name}"))
        assert response.status_code == 200, name
        text = response.content.decode()
        assert not [n for n in names if n in text], name  # nothing of this workspace shows


def test_a_viewer_sees_no_write_control_on_any_page(auditor, reviewer, workspace, viewer_page):
    objects = _objects(auditor, reviewer, workspace)

    shown = {}
    for name, url in {**_page_urls(objects), **{n: reverse(f"frontend:{n}") for n in PARTIALS}}.items():
        response = viewer_page.get(url)
        if name.split("?")[0] in CREATE_FORMS:  # refused, saying why, instead of a form that cannot succeed
            assert response.status_code == 403 and "Your role (viewer in Credit risk)" in response.content.decode()
        else:
            assert response.status_code == (403 if name in ADMIN_PAGES else WRITERS_ONLY.get(name, 200)), name
        controls = [c for c in _controls(response.content.decode()) if c.startswith(WRITE_CONTROLS)]
        if controls:
            shown[name] = controls
    assert shown == {}


@pytest.mark.browser
@pytest.mark.parametrize("role", ["auditor", "reviewer"])
def test_every_page_passes_axe_core_in_chromium(live_server, auditor, reviewer, workspace, browser_page, role):
    objects = _objects(auditor, reviewer, workspace)
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    pages = Pages(page)
    login = {"auditor": ("alice-auditor", "pw-alice"), "reviewer": ("rita-reviewer", "pw-rita")}[role]
    log_in(page, base, *login)
    page.wait_for_selector("h1:has-text('Dashboard')")

    statuses = {}
    for name, url in _page_urls(objects).items():
        response = page.goto(f"{base}{url}")
        statuses[name] = response.status
        pages.check(f"all-{role}-{re.sub(r'[^a-z0-9]+', '-', name)}")
    refused = ADMIN_PAGES | (set() if role == "auditor" else {*CREATE_FORMS, "plan-new?model", "schedule-edit"})
    assert {name for name, status in statuses.items() if status != 200} == refused  # their refused page is checked

    assert pages.problems == {}


@pytest.mark.browser
def test_a_model_only_report_shows_its_scores_in_chromium(live_server, auditor, workspace, browser_page):
    reports = {kind: stored_report(auditor, workspace, kind) for kind in ("language_model", "encoder")}
    page, base = browser_page, live_server.url
    log_in(page, base, "alice-auditor", "pw-alice")
    page.wait_for_selector("h1:has-text('Dashboard')")

    page.goto(f"{base}/reports/{reports['language_model'].pk}/")
    text = page.inner_text("main")
    assert "CrowS-Pairs, all pairs: the model prefers the stereotypical sentence in 20.0% of 60 pairs" in text
    assert "[, ]" not in text
    page.goto(f"{base}/reports/{reports['encoder'].pk}/")
    text = page.inner_text("main")
    assert "WEAT/SEAT, WEAT 10: Young people’s names vs Old people’s names ~ Pleasant vs Unpleasant" in text
    assert "effect size d = -0.50" in text and "[, ]" not in text
