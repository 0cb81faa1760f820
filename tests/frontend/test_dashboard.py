"""The dashboard: the verdict matrix, reports awaiting my review, the live "In progress" card, and the demo."""

import re
from pathlib import Path

from django.core.management import call_command
from django.test import Client

from audits.models import AuditReport, Membership
from audits.services.audit_runs import audit_run_fail
from audits.services.reviews import review_submit
from audits.services.workspaces import user_get_or_create
from tests.audits.factories import AuditReportFactory
from tests.audits.services.helpers import make_run
from tests.factories import credit_frame

ROOT = Path(__file__).resolve().parents[2]


def _section(html: str, head_id: str) -> str:
    return html.split(f'id="{head_id}"')[1].split("</section>")[0]


def test_the_matrix_shows_each_models_verdict_per_attribute_with_counts_and_links(auditor_page, auditor, workspace):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    sex = [r["verdict"] for r in report.document["results"] if r["attribute"] == "sex"]

    html = auditor_page.get("/").content.decode()

    matrix = _section(html, "matrix-head")
    assert '<th scope="col">age_band</th><th scope="col">sex</th>' in matrix
    assert f'<th scope="row"><a href="/models/{report.run.plan.model_id}/">' in matrix
    assert matrix.count(f'href="/reports/{report.pk}/"') == 2  # one link per cell
    assert f"{sex.count('fail')} fail" in matrix and "✕" in matrix  # the planted disparity, by text and icon
    assert f'aria-label="{report.run.plan.model.name}, sex: Fail (report #{report.pk})"' in matrix


def test_without_reports_the_matrix_says_what_to_do_next(auditor_page, workspace):
    html = auditor_page.get("/").content.decode()

    assert "No report yet, so no verdict to show." in _section(html, "matrix-head")
    assert '<table class="matrix"' not in html


def test_a_reviewer_sees_reports_awaiting_review_and_an_auditor_has_no_such_panel(
    auditor_page, reviewer_page, auditor, workspace
):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    review_submit(user=auditor, report=report)

    reviewer_html = reviewer_page.get("/").content.decode()
    auditor_html = auditor_page.get("/").content.decode()

    awaiting = _section(reviewer_html, "review-head")
    assert f'href="/reports/{report.pk}/">Report #{report.pk}' in awaiting
    assert "Submitted" in awaiting and "submitted by alice-auditor" in awaiting
    assert "Reports awaiting my review" not in auditor_html


def test_the_in_progress_card_polls_while_runs_are_active_and_stops_after(auditor_page, auditor, workspace):
    run = make_run(auditor, workspace)

    page = _section(auditor_page.get("/").content.decode(), "progress-head")
    partial = auditor_page.get("/dashboard/in-progress/").content.decode()
    audit_run_fail(run_id=run.pk, error="The dataset file is missing.")
    after = auditor_page.get("/dashboard/in-progress/").content.decode()

    assert 'hx-get="/dashboard/in-progress/" hx-trigger="every 3s"' in page and f"Run #{run.pk}" in partial
    assert "<html" not in partial
    assert "hx-trigger" not in after and "No run is queued or running." in after


def test_outsiders_see_none_of_another_workspace_on_the_dashboard(outsider_page, auditor, workspace):
    report = AuditReportFactory(user=auditor, workspace=workspace)
    review_submit(user=auditor, report=report)

    html = outsider_page.get("/").content.decode()

    assert f"/reports/{report.pk}/" not in html and "No report yet" in html


def test_after_seed_demo_the_demo_auditor_sees_a_cli_audit_on_the_dashboard(tmp_path, eager_celery, transactional_db):
    call_command("seed_demo", "--password", "pw-demo")
    roles = dict(Membership.objects.filter(workspace__slug="demo").values_list("user__username", "role"))
    assert roles == {"auditor": "auditor", "reviewer": "reviewer", "admin": "admin"}  # someone can open settings
    path = tmp_path / "credit.csv"
    credit_frame(n=240).to_csv(path, index=False)
    call_command(
        "audit", "--dataset", str(path), "--decision", "decision", "--favourable", "approve", "--protected", "sex",
        "--n-boot", "200",
    )  # fmt: skip
    report = AuditReport.objects.get()
    client = Client()
    client.force_login(user_get_or_create(username="auditor"))

    html = client.get("/").content.decode()

    matrix = _section(html, "matrix-head")
    assert '<th scope="col">sex</th>' in matrix and f'href="/reports/{report.pk}/"' in matrix
    reviewer = Client()
    reviewer.force_login(user_get_or_create(username="reviewer"))
    assert f'href="/reports/{report.pk}/"' in reviewer.get("/").content.decode()


def test_the_demo_seeds_its_users_before_auditing_and_ends_with_the_url_and_logins():
    script = (ROOT / "scripts" / "demo.sh").read_text()
    seed = script.index("manage.py seed_demo")
    first_audit = script.index("manage.py audit ")

    assert seed < first_audit
    assert not re.search(r"manage\.py audit [^\n]*--workspace (?!demo)", script)  # every audit lands in the demo's
    echoes = [line for line in script.splitlines() if line.startswith("echo")]
    assert "Open http://127.0.0.1:8000/ and log in as auditor / reviewer / admin with the passwords above" in echoes[-1]
    assert script.rindex('echo "$CREDENTIALS"') > script.rindex("manage.py audit ")  # the passwords, again
