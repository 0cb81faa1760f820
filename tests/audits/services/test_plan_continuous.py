"""audit_plan_create with continuous scores and rankings: resolved options, their event, and their refusals."""

import numpy as np
import pandas as pd
import pytest
from django.core.files.base import ContentFile

from audits.exceptions import ApplicationError
from audits.models import AuditEvent, ModelArtifact
from audits.services.datasets import dataset_create
from audits.services.plans import audit_plan_create


def _upload(user, workspace, **options):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"sex": rng.choice(["f", "m"], 300), "salary": rng.normal(50, 9, 300), "predicted": rng.normal(50, 9, 300),
         "decision": rng.choice(["yes", "no"], 300), "position": np.tile(np.arange(1, 11), 30),
         "query": np.repeat(np.arange(30), 10)}
    )  # fmt: skip
    upload = ContentFile(frame.to_csv(index=False).encode(), name="scores.csv")
    return dataset_create(
        user=user, workspace=workspace, name="scores", upload=upload, protected=[("sex", "")], **options
    )


def test_scores_without_decisions_register_a_scores_model_and_the_plan_is_continuous(auditor, workspace):
    dataset, model = _upload(
        auditor, workspace, score_column="predicted", outcome_column="salary", outcome_type="continuous"
    )

    plan = audit_plan_create(user=auditor, dataset=dataset, model=model, bands={"ks_statistic": [0, 0.05]})

    assert model.decision_column == "" and model.config["score_column"] == "predicted"
    assert dataset.profile["outcome"]["type"] == "continuous" and dataset.outcome_favourable == []
    assert (plan.outcome_type, plan.rank_column, plan.top_k) == ("continuous", "", 10)
    assert plan.bands == {"ks_statistic": [0.0, 0.05]}
    event = AuditEvent.objects.get(action="plan.created")
    assert event.after["outcome_type"] == "continuous" and "top_k" not in event.after


def test_a_ranking_plan_records_its_columns_and_k_in_the_event(auditor, workspace):
    dataset, model = _upload(auditor, workspace, rank_column="position")

    plan = audit_plan_create(user=auditor, dataset=dataset, model=model, rank_query_column="query", top_k=3)

    assert (plan.outcome_type, plan.rank_column, plan.rank_query_column, plan.top_k) == (
        "binary",
        "position",
        "query",
        3,
    )
    after = AuditEvent.objects.get(action="plan.created").after
    assert (after["rank_column"], after["rank_query_column"], after["top_k"]) == ("position", "query", 3)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"outcome_type": "binary"}, "outcome_type"),  # the outcome holds numbers
        ({"rank_column": "nope"}, "rank_column"),
        ({"rank_column": "sex"}, "rank_column"),  # not numbers
        ({"rank_query_column": "query"}, "rank_query_column"),  # a query column without ranks
        ({"rank_column": "position", "top_k": 0}, "top_k"),
        ({"bands": {"unknown_metric": [0, 1]}}, "bands"),
        ({"multiclass": True}, "multiclass"),
    ],
)
def test_refusals_name_the_option_at_fault(auditor, workspace, options, field):
    dataset, model = _upload(
        auditor, workspace, score_column="predicted", outcome_column="salary", outcome_type="continuous"
    )

    with pytest.raises(ApplicationError) as raised:
        audit_plan_create(user=auditor, dataset=dataset, model=model, **options)

    assert raised.value.field == field


def test_decisions_model_cannot_be_audited_as_continuous_without_a_score_column(auditor, workspace):
    dataset, model = _upload(auditor, workspace, decision_column="decision", decision_favourable=["yes"])

    with pytest.raises(ApplicationError) as raised:
        audit_plan_create(user=auditor, dataset=dataset, model=model, outcome_type="continuous")

    assert raised.value.field == "outcome_type"
    assert isinstance(model, ModelArtifact) and model.decision_column == "decision"


def test_a_continuous_upload_without_a_score_column_is_refused(auditor, workspace):
    with pytest.raises(ApplicationError) as raised:
        _upload(auditor, workspace, outcome_column="salary", outcome_type="continuous")

    assert raised.value.field == "score_column"
