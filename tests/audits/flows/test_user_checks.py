"""User-stated checks in a plan (CLI --check, API field `checks`): a planted violation fails, its absence passes;
a bad check is a 400 naming it; swap checks score the model on the dataset's texts; successors keep the checks."""

import json

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from audits.models import AuditPlan, ModelArtifact
from audits.reports.schema import report_errors
from tests.api_errors import error_attr, error_detail
from tests.audits.flows.test_models_and_probes import _applicants, _skops_upload
from tests.audits.services.test_models import _sentences, bare_tfidf_upload
from tests.factories import credit_frame, csv_upload, upload_form

RATE_CHECK = "selection_rate(sex=female) >= selection_rate(sex=male) - 0.05"


def _fair_frame(n: int, seed: int = 11) -> pd.DataFrame:
    """Both sexes approved with probability 0.6: the rate check's margin is +0.05 in the population."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n)
    decision = np.where(rng.random(n) < 0.6, "approve", "deny")
    return pd.DataFrame({"sex": sex, "decision": decision})


def _audit(tmp_path, frame, *extra) -> dict:
    path, out = tmp_path / "data.csv", tmp_path / "report.json"
    frame.to_csv(path, index=False)
    call_command(
        "audit", "--dataset", str(path), "--decision", "decision", "--favourable", "approve", "--protected", "sex",
        "--n-boot", "1000", "--out", str(out), *extra,
    )  # fmt: skip
    return json.loads(out.read_text())


def test_a_rate_check_fails_on_a_planted_gap_and_passes_without_it(tmp_path, eager_celery, transactional_db):
    planted = _audit(tmp_path, credit_frame(n=2000), "--check", RATE_CHECK)  # women 0.45 vs men 0.70
    (item,) = planted["checks"]["items"]
    assert item["verdict"] == "fail" and item["ci_high"] < 0 and item["text"] == RATE_CHECK
    frame = credit_frame(n=2000)
    rates = frame.groupby("sex")["decision"].apply(lambda d: (d == "approve").mean())  # hand computation
    assert item["left"] == pytest.approx(rates["female"]) and item["right"] == pytest.approx(rates["male"] - 0.05)
    assert "fails" not in item["sentence"] and "violated" in item["sentence"]
    assert report_errors(planted) == []

    fair = _audit(tmp_path, _fair_frame(8000), "--check", RATE_CHECK)
    (item,) = fair["checks"]["items"]
    assert item["verdict"] == "pass" and item["ci_low"] > 0 and fair["checks"]["verdicts"] == {"pass": 1}
    assert AuditPlan.objects.filter(checks__0__text=RATE_CHECK).count() == 2


@pytest.fixture
def texts(auditor_client):
    frame = _sentences()
    form = upload_form(
        csv_upload(frame, "texts.csv"), decision_column="", favourable_decision=[], outcome_column="label",
        favourable_outcome=["ok"], protected=["group"], text_column="text",
    )  # fmt: skip
    response = auditor_client.post("/api/v1/datasets/", form, format="multipart")
    assert response.status_code == 201, response.json()
    return frame, response.json()


def _blind_upload(frame):
    """A control model that never reads the pronouns: they are stop words of its vectorizer."""
    model = Pipeline([("tfidf", TfidfVectorizer(stop_words=["he", "she", "his", "her"])), ("c", LogisticRegression())])
    model.fit(frame["text"].tolist(), frame["label"])
    return SimpleUploadedFile("blind.skops", sio.dumps(model))


def _plan_and_run(client, dataset, upload, checks, on_commit):
    model = client.post(
        "/api/v1/models/", {"file": upload, "favourable": ["ok"], "dataset": dataset["id"], "text_column": "text"},
        format="multipart",
    )  # fmt: skip
    assert model.status_code == 201, model.json()
    plan = client.post(
        "/api/v1/plans/",
        {"dataset": dataset["id"], "model": model.json()["id"], "n_boot": 500, "checks": checks},
        format="json",
    )
    assert plan.status_code == 201, plan.json()
    assert [c["text"] for c in plan.json()["checks"]] == checks
    with on_commit(execute=True):
        run = client.post(f"/api/v1/plans/{plan.json()['id']}/run/").json()
    report = client.get(f"/api/v1/runs/{run['id']}/").json()["report"]
    assert report is not None, client.get(f"/api/v1/runs/{run['id']}/").json()["error"]
    return client.get(f"/api/v1/reports/{report}/download/").json()


def test_a_swap_check_fails_on_a_model_that_reads_the_pronoun_and_passes_on_one_that_does_not(
    auditor_client, texts, eager_celery, django_capture_on_commit_callbacks
):
    frame, dataset = texts
    check = "mean_abs_delta(she -> he) < 0.02"
    biased = _plan_and_run(
        auditor_client, dataset, bare_tfidf_upload(frame), [check], django_capture_on_commit_callbacks
    )
    (item,) = biased["checks"]["items"]
    assert item["kind"] == "swap" and item["verdict"] == "fail" and item["n"]["rows"] > 100

    blind = _plan_and_run(auditor_client, dataset, _blind_upload(frame), [check], django_capture_on_commit_callbacks)
    (item,) = blind["checks"]["items"]
    assert item["verdict"] == "pass" and item["left"] == 0.0


@pytest.mark.parametrize(
    ("check", "problem"),
    [
        ("selection_rate(sex=female) >= selection_rate(sex=male) -", "expected a number, found the end"),
        ("selection_rate(religion=x) >= 0.5", "'religion' is not an attribute of this plan"),
        ("selection_rate(sex=other) >= 0.5", "'other' is not a group of 'sex'"),
        ("true_positive_rate(sex=female) >= 0.5", "needs the dataset's outcome column"),
        ("mean_abs_delta(he -> she) < 0.02", "swap checks score a dataset with the model"),
    ],
)
def test_a_bad_check_is_a_400_naming_the_check_and_its_problem(auditor_client, check, problem):
    form = upload_form(csv_upload(credit_frame(n=120)), outcome_column="", favourable_outcome=[], protected=["sex"])
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    model = ModelArtifact.objects.get(dataset_id=dataset["id"])  # the decisions column's model
    plan = auditor_client.post(
        "/api/v1/plans/", {"dataset": dataset["id"], "model": model.pk, "checks": ["", check]}, format="json"
    )
    assert plan.status_code == 400 and error_attr(plan) == "checks"
    assert problem in error_detail(plan) and "Check 1" in error_detail(plan)


def test_a_column_swap_check_fails_when_the_model_reads_sex_and_passes_when_it_does_not(
    auditor_client, eager_celery, django_capture_on_commit_callbacks
):
    frame = _applicants()
    form = upload_form(
        csv_upload(frame), decision_column="", favourable_decision=[], outcome_column="outcome",
        favourable_outcome=["grant"], protected=["sex", "age_band"],
    )  # fmt: skip
    dataset = auditor_client.post("/api/v1/datasets/", form, format="multipart").json()
    check = "mean_delta(sex=female -> male) <= 0.02"

    def document(upload):
        model = auditor_client.post(
            "/api/v1/models/", {"file": upload, "favourable": ["grant"], "dataset": dataset["id"]}, format="multipart"
        ).json()
        plan = auditor_client.post(
            "/api/v1/plans/", {"dataset": dataset["id"], "model": model["id"], "n_boot": 500, "checks": [check]},
            format="json",
        ).json()  # fmt: skip
        with django_capture_on_commit_callbacks(execute=True):
            run = auditor_client.post(f"/api/v1/plans/{plan['id']}/run/").json()
        report = auditor_client.get(f"/api/v1/runs/{run['id']}/").json()["report"]
        return auditor_client.get(f"/api/v1/reports/{report}/download/").json()

    (reads_sex,) = document(_skops_upload(frame, use_sex=True, name="with-sex.skops"))["checks"]["items"]
    assert reads_sex["verdict"] == "fail" and reads_sex["left"] > 0.05  # men are granted more: the planted bias
    assert reads_sex["n"]["rows"] == int((frame["sex"] == "female").sum())
    (blind,) = document(_skops_upload(frame, use_sex=False, name="blind.skops"))["checks"]["items"]
    assert blind["verdict"] == "pass" and blind["left"] == 0.0
