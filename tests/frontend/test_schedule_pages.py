"""Schedules and versions in the test client: the Schedules page lists the rule in words, the next and last run;
its form calls schedule_create / schedule_update and shows a refused rule beside its field; pause, resume and delete
go through their services; readers see no write control and are refused the form; dataset and model pages list
their versions; the plan builder sets the re-audit option; run pages link the plan's schedules."""

import pytest

from audits.models import AuditEvent, AuditPlan, AuditSchedule
from audits.services.schedules import schedule_create, schedule_fire
from tests.audits.factories import AuditPlanFactory, DatasetFactory, decisions_model


@pytest.fixture
def plan(auditor, workspace):
    return AuditPlanFactory(user=auditor, workspace=workspace, name="Credit approvals")


def test_the_form_creates_a_schedule_on_an_interval_in_a_time_zone(auditor_page, plan):
    response = auditor_page.post(
        "/schedules/new/",
        {"plan": plan.pk, "kind": "interval", "every": "2", "unit": "3600", "cron": "", "timezone": "Asia/Tokyo"},
    )

    assert response.status_code == 302 and response["Location"] == "/schedules/"
    schedule = AuditSchedule.objects.get()
    assert (schedule.plan, schedule.every_seconds, schedule.timezone, schedule.owner.username) == (
        plan, 7200, "Asia/Tokyo", "alice-auditor"
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="schedule.created").count() == 1
    page = auditor_page.get("/schedules/").content.decode()
    assert f"Schedule {schedule.pk} created: Every 2 hours." in page
    assert "Credit approvals" in page and "Every 2 hours" in page and "active" in page


@pytest.mark.parametrize(
    ("fields", "field_id", "words"),
    [
        ({"kind": "cron", "cron": "0 6 * * 8"}, "id_cron", "not a cron expression"),
        ({"kind": "cron", "cron": "0 6 * * 1", "timezone": "Berlin"}, "id_timezone", "not an IANA time zone"),
        ({"kind": "interval", "every": "30", "unit": "1"}, "id_every", "at least 60 seconds; got 30"),
    ],
)
def test_a_refused_rule_is_shown_beside_its_field_and_nothing_is_stored(auditor_page, plan, fields, field_id, words):
    form = {"plan": plan.pk, "every": "1", "unit": "86400", "cron": "", "timezone": "UTC", **fields}

    response = auditor_page.post("/schedules/new/", form)

    page = response.content.decode()
    assert response.status_code == 400 and words in page
    assert f'aria-describedby="{field_id}_error' in page or f'id="{field_id}_error' in page
    assert not AuditSchedule.objects.exists()


def test_pause_resume_edit_and_delete_from_the_list(auditor_page, auditor, plan):
    schedule = schedule_create(actor=auditor, plan=plan, kind="cron", cron="0 6 * * 1", timezone="Europe/Berlin")
    page = auditor_page.get("/schedules/").content.decode()
    assert "At 06:00, only on Monday (Europe/Berlin)" in page and "not yet" in page

    auditor_page.post(f"/schedules/{schedule.pk}/pause/")
    assert "paused" in auditor_page.get("/schedules/").content.decode()
    assert "none while paused" in auditor_page.get("/schedules/").content.decode()
    auditor_page.post(f"/schedules/{schedule.pk}/resume/")
    edit = auditor_page.get(f"/schedules/{schedule.pk}/edit/").content.decode()
    assert 'value="0 6 * * 1"' in edit and 'value="Europe/Berlin"' in edit
    auditor_page.post(
        f"/schedules/{schedule.pk}/edit/",
        {"plan": plan.pk, "kind": "cron", "cron": "30 2 1 * *", "every": "1", "unit": "86400", "timezone": "UTC"},
    )
    schedule.refresh_from_db()
    assert schedule.cron == "30 2 1 * *" and schedule.enabled
    auditor_page.post(f"/schedules/{schedule.pk}/delete/")

    assert not AuditSchedule.objects.exists()
    actions = AuditEvent.objects.filter(object_type="AuditSchedule").values_list("action", flat=True)
    assert list(actions) == [
        "schedule.created", "schedule.paused", "schedule.resumed", "schedule.updated", "schedule.deleted"
    ]  # fmt: skip


def test_readers_see_the_schedule_without_write_controls_and_cannot_change_it(
    auditor, plan, viewer_page, reviewer_page
):
    schedule = schedule_create(actor=auditor, plan=plan, kind="interval", every_seconds=86400)

    page = viewer_page.get("/schedules/").content.decode()
    assert "Every day" in page and "New schedule" not in page and "Pause" not in page and "Delete" not in page
    assert reviewer_page.post(f"/schedules/{schedule.pk}/pause/").status_code == 403
    assert reviewer_page.get(f"/schedules/{schedule.pk}/edit/").status_code == 403
    assert AuditSchedule.objects.get().enabled


def test_the_last_run_and_a_skip_reason_are_shown_and_the_run_page_links_its_schedule(auditor_page, auditor, plan):
    schedule = schedule_create(actor=auditor, plan=plan, kind="cron", cron="0 * * * *")
    run = schedule_fire(schedule_id=schedule.pk)
    schedule_fire(schedule_id=schedule.pk)  # a repeated message: skipped, recorded

    page = auditor_page.get("/schedules/").content.decode()
    assert f"run #{run.pk}" in page and "Skipped: Already fired for this period" in page
    run_page = auditor_page.get(f"/runs/{run.pk}/").content.decode()
    assert f"by <a href=\"/schedules/?plan={plan.pk}\">schedule {schedule.pk}</a>" in run_page
    assert "Every hour (UTC)" in run_page  # the plan's schedules, in words
    assert f"/schedules/new/?plan={plan.pk}" in run_page  # Schedule this plan


def test_dataset_and_model_pages_list_their_versions(auditor_page, auditor, workspace):
    first = DatasetFactory(user=auditor, workspace=workspace)
    second = DatasetFactory(user=auditor, workspace=workspace, frame__seed=3)

    page = auditor_page.get(f"/datasets/{first.pk}/").content.decode()
    model_page = auditor_page.get(f"/models/{decisions_model(second).pk}/").content.decode()

    assert "Versions of “credit”" in page and f'href="/datasets/{second.pk}/">v2</a>' in page
    assert "v1 (this page)" in page
    assert "v2 (this page)" in model_page and f'href="/models/{decisions_model(first).pk}/">v1</a>' in model_page


def test_the_plan_builder_sets_the_re_audit_option(auditor_page, auditor, workspace):
    dataset = DatasetFactory(user=auditor, workspace=workspace)
    form = auditor_page.get("/audits/new/").content.decode()
    assert "Re-audit on a new version" in form

    auditor_page.post(
        "/audits/new/",
        {
            "model": decisions_model(dataset).pk, "dataset": dataset.pk, "metrics": ["disparate_impact"],
            "attributes": [a.pk for a in dataset.protected_attributes.all()], "n_boot": 200, "alpha": 0.05,
            "min_group_size": 30, "min_denominator": 10, "seed": 0, "reaudit_on_new_version": "on",
        },
    )  # fmt: skip

    assert AuditPlan.objects.get().reaudit_on_new_version is True
