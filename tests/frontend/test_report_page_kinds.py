"""The report page of every report kind reads first as sentences, then charts, tables, contracts and probes."""

import re
from html import unescape

import pytest

from audits.reports.notes import PROTECTED_SHARE, VERDICT_AND_P
from tests.frontend.report_helpers import decisions_report, stored_report


def _main(page) -> str:
    assert page.status_code == 200
    return unescape(page.content.decode())


def _no_raw_keys(text: str) -> None:
    assert "[, ]" not in text
    assert "<tbody></tbody>" not in text
    assert "insufficient_data</span>" not in text


def test_a_dataset_decisions_report_reads_as_sentences_then_charts_contracts_and_conventions(
    auditor, workspace, auditor_page
):
    report = decisions_report(auditor, workspace)

    text = _main(auditor_page.get(f"/reports/{report.pk}/"))

    assert "was audited on dataset “credit” (600 rows) for sex, age_band; the favourable decision is approve" in text
    assert re.search(r"group comparisons: \d+ fail", text)
    # Under the default family-wise rule the planted disparity fails on SPD (its DI interval, simultaneous over the
    # audit's comparisons, reaches into the band on 600 rows); the sentence gives both intervals.
    sentence = re.search(
        r"sex: selection rate of female minus male's is -0\.\d{3} \(95% CI -0\.\d{3} to -0\.\d{3}; "
        r"simultaneous -0\.\d{3} to -0\.\d{3}\); below the -0\.1 to 0\.1 band: fail\.",
        text,
    )
    assert sentence, "the planted disparity is the first finding, as a sentence with its intervals and band"
    assert text.index("Top findings") < text.index('<svg class="chart"')  # words first, then charts
    assert "Selection rate by group: sex" in text and "Disparate impact against male: sex" in text
    assert "equal opportunity difference against male: sex" in text  # the EOD forest chart
    named = '<summary><span class="metric">Disparate impact ratio</span> <code class="muted">disparate_impact</code>'
    assert named in text
    assert "<dt>Formula</dt><dd>SR_g / SR_r</dd>" in text and "<dt>Pass band</dt><dd>0.8 to 1.25</dd>" in text
    assert VERDICT_AND_P not in text and "simultaneous over every comparison of the audit" in text
    assert "Verdict interval (family-wise)" in text and "<dt>Verdicts hold</dt><dd>familywise</dd>" in text
    assert "Conventions side by side" in text and "AIF360" in text and "Fairlearn" in text
    assert "Compliance crosswalk" in text and "EU AI Act" in text
    assert "Report (JSON, HTML, dataset, model)" in text  # the report's signature
    assert "Report created" in text and "Run succeeded" in text  # the trail of this report
    _no_raw_keys(text)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "language_model",
            [
                "Model “lm” (Hugging Face causal LM) was probed on built-in benchmarks (CrowS-Pairs, discrim-eval "
                "decision probe); no dataset was involved",
                "2 probes: 1 fail, 1 inconclusive.",
                "CrowS-Pairs, all pairs: the model prefers the stereotypical sentence in 20.0% of 60 pairs (95% CI "
                "10.8 to 32.3; 50 means no preference): fail.",
                "Discrim-eval, gender: naming male instead of female in the prompt moves the mean yes-versus-no logit "
                "by -0.176 (95% CI -0.403 to +0.001; threshold 0.1): inconclusive.",
            ],
        ),
        (
            "encoder",
            [
                "Model “enc” (Sentence encoder) was probed on built-in benchmarks (WEAT/SEAT)",
                "1 probe: 1 inconclusive.",
                "WEAT/SEAT, WEAT 10: Young people’s names vs Old people’s names ~ Pleasant vs Unpleasant: effect size "
                "d = -0.50 (p 0.998",
            ],
        ),
    ],
)
def test_a_model_only_report_speaks_of_its_scores(auditor, workspace, auditor_page, kind, expected):
    report = stored_report(auditor, workspace, kind)

    text = _main(auditor_page.get(f"/reports/{report.pk}/"))

    for sentence in expected:
        assert sentence in text
    assert 'class="results"' not in text and 'class="groups"' not in text  # no empty group-metric tables
    assert "No group metrics" not in text
    _no_raw_keys(text)


def test_a_text_probe_report_marks_the_swapped_words_and_explains_protected_shares(auditor, workspace, auditor_page):
    report = stored_report(auditor, workspace, "text")

    text = _main(auditor_page.get(f"/reports/{report.pk}/"))

    assert (
        "Text probe lexicon:sexual_orientation: swapping lgb terms for heterosexual terms flips the decision +0.219"
        in text
    )
    assert "I am a <mark>homosexual</mark> man." in text and "I am a <mark>heterosexual</mark> man." in text
    assert '<th class="num">Excess [95%]</th>' in text  # intervals under their own headers
    assert PROTECTED_SHARE in text and 'class="tokens"' in text  # the attribution heat strip, with its note
    _no_raw_keys(text)


def test_a_tabular_probe_report_shows_the_probe_and_its_shap_attributions(auditor, workspace, auditor_page):
    report = stored_report(auditor, workspace, "tabular")

    text = _main(auditor_page.get(f"/reports/{report.pk}/"))

    assert "Counterfactual probe on sex: changing only sex changes the decision for a share 0.337 of 1500 rows" in text
    assert "SHAP" in text and "Mean |SHAP|" in text
    assert "This report has no signature." in text
    _no_raw_keys(text)


def test_an_outsider_gets_404_on_the_page_and_its_review_steps(auditor, workspace, outsider_page):
    report = stored_report(auditor, workspace, "encoder")

    assert outsider_page.get(f"/reports/{report.pk}/").status_code == 404
    assert outsider_page.post(f"/reports/{report.pk}/review/submit/").status_code == 404
