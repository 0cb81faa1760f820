"""/api/v1/schedules/: create, list, change, pause, resume, delete through the schedules services; bad rules are 400s
that say what is wrong; outsiders get 404, reviewers 403, the anonymous 401/403. Versions and the re-audit option
travel through the datasets, models and plans endpoints."""

import pytest
from django_celery_beat.models import PeriodicTask

from audits.models import AuditEvent, AuditSchedule
from tests.audits.factories import AuditPlanFactory, DatasetFactory, decisions_model


@pytest.fixture
def plan(auditor, workspace):
    return AuditPlanFactory(user=auditor, workspace=workspace)


def _create(client, plan, **fields):
    body = {"plan": plan.pk, "kind": "cron", "cron": "0 6 * * 1", "timezone": "Europe/Berlin", **fields}
    return client.post("/api/v1/schedules/", body, format="json")


def test_a_schedule_is_created_listed_and_shows_its_rule_and_next_run(auditor_client, plan):
    response = _create(auditor_client, plan)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["rule"] == "At 06:00, only on Monday (Europe/Berlin)" and body["next_run_at"]
    assert (body["plan"], body["plan_name"], body["enabled"], body["owner"]) == (
        plan.pk,
        plan.name,
        True,
        "alice-auditor",
    )
    listed = auditor_client.get("/api/v1/schedules/").json()["results"]
    assert [s["id"] for s in listed] == [body["id"]]
    assert AuditEvent.objects.filter(action="schedule.created", object_id=str(body["id"])).count() == 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"cron": "0 6 * *"}, "it has 4 fields"),
        ({"cron": "0 25 * * *"}, "not in 0-23 for Hours"),
        ({"timezone": "Europe/Atlantis"}, "not an IANA time zone"),
        ({"kind": "interval", "every_seconds": 10}, "at least 60 seconds; got 10"),
        ({"kind": "hourly"}, "hourly"),
    ],
)
def test_bad_rules_answer_400_with_the_reason_and_store_nothing(auditor_client, plan, fields, words):
    response = _create(auditor_client, plan, **fields)

    assert response.status_code == 400
    assert words in response.content.decode()
    assert not AuditSchedule.objects.exists()


def test_a_plan_outside_the_users_workspaces_is_a_400_naming_it(auditor_client, outsider, other_workspace):
    foreign = AuditPlanFactory(user=outsider, workspace=other_workspace)

    response = _create(auditor_client, foreign)

    assert (
        response.status_code == 400 and f"Plan {foreign.pk} not found in your workspaces" in response.content.decode()
    )


def test_patch_changes_only_what_it_names_and_put_replaces_the_rule(auditor_client, plan):
    schedule = _create(auditor_client, plan).json()

    patched = auditor_client.patch(f"/api/v1/schedules/{schedule['id']}/", {"timezone": "Asia/Tokyo"}, format="json")
    replaced = auditor_client.put(
        f"/api/v1/schedules/{schedule['id']}/",
        {"plan": plan.pk, "kind": "interval", "every_seconds": 3600},
        format="json",
    )

    assert patched.status_code == 200 and patched.json()["rule"] == "At 06:00, only on Monday (Asia/Tokyo)"
    assert replaced.status_code == 200, replaced.json()
    assert (replaced.json()["rule"], replaced.json()["timezone"], replaced.json()["cron"]) == ("Every hour", "UTC", "")
    assert PeriodicTask.objects.get(name=f"audit-schedule-{schedule['id']}").interval.every == 3600


def test_pause_resume_and_delete(auditor_client, plan):
    schedule = _create(auditor_client, plan).json()
    url = f"/api/v1/schedules/{schedule['id']}/"

    paused = auditor_client.post(f"{url}pause/")
    again = auditor_client.post(f"{url}pause/")
    resumed = auditor_client.post(f"{url}resume/")
    deleted = auditor_client.delete(url)

    assert paused.status_code == 200 and paused.json()["enabled"] is False and paused.json()["next_run_at"] is None
    assert again.status_code == 400 and "already paused" in again.content.decode()
    assert resumed.status_code == 200 and resumed.json()["enabled"] is True
    assert deleted.status_code == 204 and auditor_client.get(url).status_code == 404
    actions = AuditEvent.objects.filter(object_type="AuditSchedule").values_list("action", flat=True)
    assert list(actions) == ["schedule.created", "schedule.paused", "schedule.resumed", "schedule.deleted"]


def test_reviewers_read_but_cannot_write_outsiders_and_the_anonymous_see_nothing(
    auditor_client, reviewer_client, outsider_client, anonymous_client, plan
):
    schedule = _create(auditor_client, plan).json()
    url = f"/api/v1/schedules/{schedule['id']}/"

    assert reviewer_client.get(url).status_code == 200
    assert _create(reviewer_client, plan).status_code == 403
    assert reviewer_client.post(f"{url}pause/").status_code == 403
    assert reviewer_client.delete(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
    assert outsider_client.post(f"{url}pause/").status_code == 404
    assert outsider_client.get("/api/v1/schedules/").json()["results"] == []
    assert anonymous_client.get("/api/v1/schedules/").status_code in (401, 403)
    assert AuditSchedule.objects.get().enabled


def test_datasets_and_models_list_their_versions_and_plans_take_the_reaudit_option(auditor_client, auditor, workspace):
    first = DatasetFactory(user=auditor, workspace=workspace)
    second = DatasetFactory(user=auditor, workspace=workspace, frame__seed=3)

    dataset = auditor_client.get(f"/api/v1/datasets/{first.pk}/").json()
    model = auditor_client.get(f"/api/v1/models/{decisions_model(second).pk}/").json()
    plan = auditor_client.post(
        "/api/v1/plans/",
        {"dataset": second.pk, "model": model["id"], "reaudit_on_new_version": True, "n_boot": 200},
        format="json",
    )

    assert dataset["version"] == 1 and [v["id"] for v in dataset["versions"]] == [second.pk, first.pk]
    assert model["version"] == 2 and [v["version"] for v in model["versions"]] == [2, 1]
    assert plan.status_code == 201 and plan.json()["reaudit_on_new_version"] is True and plan.json()["previous"] is None
