"""run_artifact_open: only an artifact the run's report names is opened, and each download is in the trail."""

import hashlib

import pytest

from audits.choices import Role
from audits.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from audits.models import AuditEvent, ModelArtifact
from audits.services.run_artifacts import run_artifact_open
from tests.audits.factories import AuditPlanFactory, AuditReportFactory, DatasetFactory, MembershipFactory
from tests.audits.flows.test_models_and_probes import _applicants, _skops_upload


@pytest.fixture
def probed(auditor, workspace, auditor_client):
    """The report of a tabular counterfactual probe, which keeps every (row, other group) pair as an artifact."""
    frame = _applicants(n=600)
    dataset = DatasetFactory(
        user=auditor,
        workspace=workspace,
        frame=frame,
        protected=[("sex", "")],
        decision_column="",
        decision_favourable=[],
        outcome_column="outcome",
        outcome_favourable=["grant"],
    )
    registered = auditor_client.post(
        "/api/v1/models/", {"file": _skops_upload(frame), "favourable": ["grant"], "dataset": dataset.pk}, "multipart"
    )
    assert registered.status_code == 201, registered.json()
    model = ModelArtifact.objects.get(pk=registered.json()["id"])
    plan = AuditPlanFactory(user=auditor, dataset=dataset, model=model, n_boot=200, probes=["tabular_counterfactual"])
    report = AuditReportFactory(user=auditor, run__plan=plan)
    (probe,) = report.document["probes"]
    return report, probe["artifact"]


def test_a_named_artifact_opens_and_the_download_is_recorded(probed, auditor, workspace):
    report, artifact = probed

    path = run_artifact_open(user=auditor, run=report.run, name=artifact["name"], request_id="req-1")

    assert hashlib.sha256(path.read_bytes()).hexdigest() == artifact["sha256"]
    event = AuditEvent.objects.get(action="run.artifact_downloaded")
    assert (event.object_type, event.object_id) == ("AuditRun", str(report.run_id))
    assert (event.actor_id, event.workspace_id, event.request_id) == (auditor.pk, workspace.pk, "req-1")
    assert event.after == {"name": artifact["name"], "sha256": artifact["sha256"]}


def test_unnamed_unknown_and_vanished_artifacts_are_refused_and_not_recorded(probed, auditor):
    report, artifact = probed

    with pytest.raises(ApplicationError, match="Name the artifact"):
        run_artifact_open(user=auditor, run=report.run, name="")
    with pytest.raises(NotFoundError, match="has no artifact '../../x'"):
        run_artifact_open(user=auditor, run=report.run, name="../../x")
    assert not AuditEvent.objects.filter(action="run.artifact_downloaded").exists()
    run_artifact_open(user=auditor, run=report.run, name=artifact["name"]).unlink()  # recorded: it was there
    with pytest.raises(NotFoundError, match="no longer stored"):
        run_artifact_open(user=auditor, run=report.run, name=artifact["name"])

    assert AuditEvent.objects.filter(action="run.artifact_downloaded").count() == 1


def test_an_outsider_cannot_open_an_artifact_even_by_calling_the_service(probed, outsider, other_workspace):
    report, artifact = probed

    with pytest.raises(NotFoundError, match="Workspace not found"):
        run_artifact_open(user=outsider, run=report.run, name=artifact["name"])

    assert not AuditEvent.objects.filter(action="run.artifact_downloaded").exists()


def test_a_viewer_cannot_open_row_level_artifacts_but_a_reviewer_can(probed, workspace):
    report, artifact = probed
    viewer = MembershipFactory(workspace=workspace, role=Role.VIEWER).user
    reviewer = MembershipFactory(workspace=workspace, role=Role.REVIEWER).user

    with pytest.raises(PermissionDeniedError):
        run_artifact_open(user=viewer, run=report.run, name=artifact["name"])
    assert not AuditEvent.objects.filter(action="run.artifact_downloaded").exists()

    assert run_artifact_open(user=reviewer, run=report.run, name=artifact["name"]).is_file()
