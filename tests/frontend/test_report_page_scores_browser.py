"""Continuous-score and ranking reports, and the New audit page's options for them, in Chromium with axe-core.

Screenshots: var/screenshots/report-continuous.png, report-ranking.png, plan-new-scores.png.
"""

import numpy as np
import pandas as pd
import pytest

from tests.frontend.helpers import log_in
from tests.frontend.test_report_page_browser import Shots
from tests.frontend.test_report_page_scores import _report

pytestmark = pytest.mark.browser


def test_continuous_and_ranking_reports_render_and_pass_axe(
    live_server, auditor, workspace, browser_page, eager_celery, django_capture_on_commit_callbacks
):
    rng = np.random.default_rng(4)
    sex = rng.choice(["female", "male"], size=600)
    salary = rng.normal(50, 10, 600)
    salaries = pd.DataFrame({"sex": sex, "salary": salary, "predicted": salary - 5 * (sex == "female")})
    continuous = _report(
        auditor, workspace, salaries, django_capture_on_commit_callbacks,
        dataset_options={"score_column": "predicted", "outcome_column": "salary", "outcome_type": "continuous"},
        plan_options={},
    )  # fmt: skip
    ranking_rows = pd.DataFrame(
        {"query": np.repeat(np.arange(60), 10), "position": np.tile(np.arange(1, 11), 60),
         "sex": rng.choice(["female", "male"], size=600)}
    )  # fmt: skip
    ranking = _report(
        auditor, workspace, ranking_rows, django_capture_on_commit_callbacks,
        dataset_options={"rank_column": "position"}, plan_options={"rank_query_column": "query", "top_k": 3},
    )  # fmt: skip
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    shots = Shots(page)
    log_in(page, base, "alice-auditor", "pw-alice")

    page.goto(f"{base}/reports/{continuous.pk}/")
    page.wait_for_selector("#score-rank-continuous")
    assert "difference of mean scores of female against male" in page.inner_text(".reading")
    assert "Not computable" in page.inner_text("#not-computable")
    shots.page_shot("report-continuous")

    page.goto(f"{base}/reports/{ranking.pk}/")
    page.wait_for_selector("#score-rank-ranking")
    assert "exposure ratio" in page.inner_text(".reading")
    shots.page_shot("report-ranking")

    page.goto(f"{base}/audits/new/")
    page.wait_for_selector("#id_rank_column")
    assert "Positions, 1 = top" in page.inner_text("main")
    shots.page_shot("plan-new-scores")
    assert shots.problems == {}
