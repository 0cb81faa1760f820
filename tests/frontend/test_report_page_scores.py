"""The report page of a continuous-score audit and of a ranking audit: sentences, sections, tables, no raw keys."""

from html import unescape

import numpy as np
import pandas as pd
from django.core.files.base import ContentFile

from audits.models import AuditReport
from audits.services.audit_runs import audit_run_create
from audits.services.datasets import dataset_create
from audits.services.plans import audit_plan_create


def _csv(frame: pd.DataFrame) -> ContentFile:
    return ContentFile(frame.to_csv(index=False).encode(), name="data.csv")


def _report(user, workspace, frame, capture, *, dataset_options, plan_options) -> AuditReport:
    dataset, model = dataset_create(
        user=user, workspace=workspace, name="scores", upload=_csv(frame), protected=[("sex", "")], **dataset_options
    )
    plan = audit_plan_create(user=user, dataset=dataset, model=model, n_boot=200, **plan_options)
    with capture(execute=True):
        run = audit_run_create(user=user, plan=plan)
    return AuditReport.objects.get(run=run)


def _page(client, report) -> str:
    page = client.get(f"/reports/{report.pk}/")
    assert page.status_code == 200
    text = unescape(page.content.decode())
    assert "[, ]" not in text and "<tbody></tbody>" not in text
    return text


def test_a_continuous_score_report_page_shows_sentences_the_section_and_what_is_not_computable(
    auditor, workspace, auditor_page, eager_celery, django_capture_on_commit_callbacks
):
    rng = np.random.default_rng(1)
    sex = rng.choice(["female", "male"], size=900)
    salary = rng.normal(50, 10, 900)
    frame = pd.DataFrame({"sex": sex, "salary": salary, "predicted": salary - 6 * (sex == "female")})
    report = _report(
        auditor, workspace, frame, django_capture_on_commit_callbacks,
        dataset_options={"score_column": "predicted", "outcome_column": "salary", "outcome_type": "continuous"},
        plan_options={},
    )  # fmt: skip

    text = _page(auditor_page, report)

    assert "was audited on dataset “scores” (900 rows) for sex" in text
    assert "continuous-score and ranking comparisons:" in text
    means = frame.groupby("sex")["predicted"].mean()
    difference = f"{means['female'] - means['male']:.3f}"
    assert f"sex: difference of mean scores of female against male is {difference} (95% CI" in text
    assert '<a href="#score-rank-continuous">Continuous scores</a>' in text
    assert '<h2 id="not-computable-head">Not computable</h2>' in text and "disparate_impact" in text
    # What is not computable is named as the analyst reads it, not by the metric ids alone.
    assert "Disparate impact ratio, Statistical parity difference" in text
    assert "(higher is favourable). Non-parametric row bootstrap" in text
    assert "Score column predicted against the outcome salary (higher is favourable)." in text
    assert "Median of the full sample:" in text


def test_a_ranking_report_page_shows_exposure_and_top_k(
    auditor, workspace, auditor_page, eager_celery, django_capture_on_commit_callbacks
):
    queries = np.repeat(np.arange(80), 10)
    positions = np.tile(np.arange(1, 11), 80)
    sex = np.tile(np.repeat(["male", "female"], 5), 80)  # men always first
    frame = pd.DataFrame({"query": queries, "position": positions, "sex": sex})
    report = _report(
        auditor, workspace, frame, django_capture_on_commit_callbacks,
        dataset_options={"rank_column": "position"},
        plan_options={"rank_query_column": "query", "top_k": 5},
    )  # fmt: skip

    text = _page(auditor_page, report)

    assert '<a href="#score-rank-ranking">Ranking exposure</a>' in text
    assert "sex: exposure ratio (mean position-discounted exposure per member) of female against male is" in text
    assert "top-k with k = 5" in text and "averaged per query (query)" in text
    assert "sex: top-k share over population share of female is 0.000" in text
