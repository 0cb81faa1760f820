"""Compare, Trail, workspace settings and API tokens in the test client: scoped to the user's workspaces
(outsiders 404), admins only on settings (others 403), every change through its service and in the trail."""

import pytest
from django.template.defaultfilters import filesizeformat
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from audits.choices import Role
from audits.models import AuditEvent, Membership
from audits.services.workspaces import membership_set
from tests.audits.factories import AuditPlanFactory, AuditReportFactory, UserFactory


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin(workspace, auditor):
    user = UserFactory(username="ada-admin")
    membership_set(workspace=workspace, user=user, role=Role.ADMIN, actor=auditor)
    return user


@pytest.fixture
def reports(auditor, workspace):
    """Two reports of one model: the default bands (disparate impact fails) and lenient ones (it passes). Per
    comparison: on these 600 rows the family-wise default calls the planted disparate impact inconclusive."""
    plan = AuditPlanFactory(user=auditor, workspace=workspace, verdict_error_control="per_comparison")
    strict = AuditReportFactory(user=auditor, run__plan=plan)
    lenient_plan = AuditPlanFactory(
        user=auditor, workspace=workspace, dataset=plan.dataset, bands={"disparate_impact": [0.1, 10.0]},
        verdict_error_control="per_comparison",
    )  # fmt: skip
    return strict, AuditReportFactory(user=auditor, run__plan=lenient_plan)


# Compare


def test_compare_shows_verdict_changes_and_resolved_findings_with_text_and_icon(auditor_page, reports):
    strict, lenient = reports

    page = auditor_page.get(f"/reports/compare/?a={strict.pk}&b={lenient.pk}")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Verdict changes" in text and "Resolved since A" in text
    assert 'class="verdict v-fail"><span class="icon" aria-hidden="true">✕</span> fail' in text
    assert 'class="verdict v-pass"><span class="icon" aria-hidden="true">✓</span> pass' in text
    assert "Disparate impact ratio · sex = female" in text
    assert "different plans on the same model" in text


def test_compare_from_a_report_offers_only_reports_of_the_same_model(auditor_page, reports, auditor, workspace):
    strict, lenient = reports
    unrelated = AuditReportFactory(user=auditor, run__plan=AuditPlanFactory(user=auditor, workspace=workspace))

    page = auditor_page.get(f"/reports/compare/?b={lenient.pk}")

    assert page.status_code == 200
    choices = page.context["form"].fields["a"].queryset
    assert list(choices) == [strict]
    assert f'href="/reports/compare/?b={lenient.pk}"' in auditor_page.get(f"/reports/{lenient.pk}/").content.decode()
    refused = auditor_page.get(f"/reports/compare/?a={unrelated.pk}&b={lenient.pk}")
    assert refused.status_code == 400
    assert "only reports of the same model or plan" in refused.context["form"].errors["a"][0]


def test_an_outsider_gets_404_on_compare(outsider_page, reports):
    strict, lenient = reports

    assert outsider_page.get(f"/reports/compare/?a={strict.pk}&b={lenient.pk}").status_code == 404
    assert outsider_page.get(f"/reports/compare/?b={lenient.pk}").status_code == 404


# Trail


def test_the_trail_lists_the_users_workspace_events_newest_first_with_labels_and_links(
    auditor_page, reports, other_workspace
):
    strict, _ = reports

    page = auditor_page.get("/trail/")

    assert page.status_code == 200
    rows = page.context["rows"]
    ids = [row["event"].pk for row in rows]
    assert ids == sorted(ids, reverse=True)
    assert {row["event"].workspace.slug for row in rows} == {"credit-risk"}  # not the outsider's workspace
    report_rows = [row for row in rows if row["event"].action == "report.created"]
    assert report_rows[0]["action"] == "Report created" and report_rows[0]["link"].startswith("/reports/")
    assert "verified by" not in page.content.decode() and "platform administrators verify it" in page.content.decode()


def test_trail_filters_by_action_actor_and_object_type_and_htmx_gets_the_results_only(auditor_page, reports):
    by_action = auditor_page.get("/trail/?action=membership.set")
    by_actor = auditor_page.get("/trail/?actor=system")
    by_object = auditor_page.get("/trail/?object_type=AuditRun")
    htmx = auditor_page.get("/trail/?object_type=AuditRun", headers={"HX-Request": "true"})

    assert {r["event"].action for r in by_action.context["rows"]} == {"membership.set"}
    assert ["role: admin", "user: alice-auditor"] == by_action.context["rows"][-1]["changes"]  # text, not JSON
    assert by_actor.context["rows"] and {r["event"].actor_label for r in by_actor.context["rows"]} == {"system"}
    assert {r["event"].object_type for r in by_object.context["rows"]} == {"AuditRun"}
    assert htmx.status_code == 200 and "<html" not in htmx.content.decode()
    assert 'id="trail-results"' in htmx.content.decode()
    assert auditor_page.get("/trail/?action=nope").status_code == 200  # an unknown filter is a form error


def test_the_chain_verification_is_shown_to_staff_only(auditor_page, auditor, reports):
    assert auditor_page.get("/trail/verify/").status_code == 404

    auditor.is_staff = True
    auditor.save(update_fields=["is_staff"])
    result = auditor_page.get("/trail/verify/")

    assert result.status_code == 200 and "The chain holds" in result.content.decode()
    assert 'hx-get="/trail/verify/"' in auditor_page.get("/trail/").content.decode()


def test_an_outsider_sees_none_of_the_workspace_events(outsider_page, reports):
    rows = outsider_page.get("/trail/").context["rows"]

    assert rows and {r["event"].workspace.slug for r in rows} == {"elsewhere"}


# Workspace settings


def test_settings_are_for_admins_only_and_outsiders_get_404(admin, auditor_page, viewer_page, outsider_page):
    assert _client(admin).get("/workspaces/credit-risk/settings/").status_code == 200
    assert auditor_page.get("/workspaces/credit-risk/settings/").status_code == 403
    assert viewer_page.get("/workspaces/credit-risk/settings/").status_code == 403
    assert outsider_page.get("/workspaces/credit-risk/settings/").status_code == 404
    assert outsider_page.post("/workspaces/credit-risk/settings/members/add/", {"username": "x"}).status_code == 404
    events = AuditEvent.objects.count()
    assert (
        auditor_page.post(
            "/workspaces/credit-risk/settings/members/add/", {"username": "oscar-outsider", "role": "admin"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.count() == events


def test_an_admin_adds_changes_and_removes_members_through_the_services(admin, workspace, reviewer):
    client = _client(admin)
    UserFactory.create_batch(3)  # user ids and membership ids drift apart: the urls name the user
    nina = UserFactory(username="nina-new")

    added = client.post("/workspaces/credit-risk/settings/members/add/", {"username": "nina-new", "role": "viewer"})
    membership = Membership.objects.get(workspace=workspace, user=nina)
    changed = client.post(f"/workspaces/credit-risk/settings/members/{nina.pk}/role/", {f"m{nina.pk}-role": "auditor"})
    role_after_change = Membership.objects.get(pk=membership.pk).role
    removed = client.post(f"/workspaces/credit-risk/settings/members/{nina.pk}/remove/")

    assert membership.pk != nina.pk
    assert (added.status_code, changed.status_code, removed.status_code) == (302, 302, 302)
    assert role_after_change == Role.AUDITOR
    assert not Membership.objects.filter(workspace=workspace, user=nina).exists()
    assert Membership.objects.get(workspace=workspace, user=reviewer).role == Role.REVIEWER
    actions = list(AuditEvent.objects.filter(actor=admin).order_by("id").values_list("action", flat=True))
    assert actions == ["membership.set", "membership.set", "membership.removed"]
    assert "nina-new was removed" in client.get("/workspaces/credit-risk/settings/").content.decode()


def test_settings_errors_show_next_to_the_field_and_write_nothing(admin, workspace):
    client = _client(admin)
    events = AuditEvent.objects.count()

    unknown = client.post("/workspaces/credit-risk/settings/members/add/", {"username": "nobody", "role": "viewer"})
    last_admin = client.post(f"/workspaces/credit-risk/settings/members/{admin.pk}/remove/")

    assert unknown.status_code == 400 and "No user is named" in unknown.context["add_form"].errors["username"][0]
    assert last_admin.status_code == 400 and "last admin" in last_admin.content.decode()
    assert AuditEvent.objects.count() == events
    assert Membership.objects.filter(workspace=workspace, user=admin, role=Role.ADMIN).exists()


def test_the_dashboard_links_settings_for_admins_only(admin, auditor_page):
    assert "/workspaces/credit-risk/settings/" in _client(admin).get("/").content.decode()
    assert "/workspaces/credit-risk/settings/" not in auditor_page.get("/").content.decode()


# API tokens


def test_a_token_is_created_shown_once_listed_and_revoked_with_trail_events(auditor_page, auditor, workspace):
    created = auditor_page.post(
        "/account/tokens/create/", {"name": "GRC pull", "scope": "read", "expires_in_days": "7"}
    )

    page = created.content.decode()
    key = page.split('id="new-token" class="token" type="text" readonly value="')[1].split('"')[0]
    assert created.status_code == 200 and created["Cache-Control"] == "no-store" and len(key) == 64
    token = AuthToken.objects.get(user=auditor)
    assert token.token_key == key[:15] and round((token.expiry - token.created).total_seconds() / 86400) == 7
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/reports/").status_code == 200
    assert api.post("/api/v1/auth/tokens/", {"scope": "full"}, format="json").status_code == 403  # read only
    again = auditor_page.get("/account/tokens/").content.decode()
    assert key not in again and "GRC pull" in again and "Read only (integration)" in again
    assert "API token created" in again and f"{key[:8]}…" in again
    revoked = auditor_page.post(f"/account/tokens/{token.token_key}/revoke/")
    assert revoked.status_code == 302 and not AuthToken.objects.filter(user=auditor).exists()
    assert api.get("/api/v1/reports/").status_code == 401
    assert list(AuditEvent.objects.filter(actor=auditor, object_type="User").values_list("action", flat=True)) == [
        "token.created",
        "token.revoked",
    ]
    gone = auditor_page.post(f"/account/tokens/{token.token_key}/revoke/", follow=True).content.decode()
    assert "no API token with this id" in gone
    assert auditor_page.get("/account/tokens/create/").status_code == 405


def test_a_token_form_error_is_shown_beside_its_field_and_creates_nothing(auditor_page, auditor):
    response = auditor_page.post("/account/tokens/create/", {"scope": "full", "expires_in_days": "0"})

    assert response.status_code == 400 and not AuthToken.objects.filter(user=auditor).exists()
    assert "greater than or equal to 1" in response.content.decode()


def test_the_settings_page_shows_the_storage_the_workspace_occupies_and_its_quota(admin, reports, settings):
    from audits.selectors import workspace_storage_used

    settings.AUDIT_WORKSPACE_QUOTA_BYTES = 5 * 1024**3
    workspace = reports[0].workspace
    used = workspace_storage_used(workspace=workspace)

    html = _client(admin).get("/workspaces/credit-risk/settings/").content.decode()

    assert used > 0
    storage = html.split('id="storage">', 1)[1].split("</p>", 1)[0]
    assert f"{filesizeformat(used)} of datasets and uploaded models" in storage
    assert "of a quota of 5.0\xa0GB" in storage
