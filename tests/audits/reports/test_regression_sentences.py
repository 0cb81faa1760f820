"""Regressions in words: each item's sentence (stored in the report), the section's summary in the report's
plain-language reading, and the numbers written by the renderings' one formatter."""

import json

from audits.reports.schema import report_errors
from audits.reports.sentences import report_reading
from audits.reports.words import regressions_sentence
from tests.audits.exports.documents import load_report
from tests.audits.reports.regression_documents import BASELINE_ID, report_with_regressions


def test_each_kind_reads_as_a_sentence_naming_the_approved_report():
    document, _ = report_with_regressions()
    sentences = {(i["kind"], i["metric"]): i["sentence"] for i in document["regressions"]["items"]}

    assert report_errors(document) == []
    assert sentences[("verdict_change", "disparate_impact")] == (
        f"sex: disparate impact ratio of female against male was inconclusive in approved report #{BASELINE_ID} "
        "and is fail now."
    )
    assert sentences[("metric_move", "statistical_parity_difference")] == (
        f"sex: statistical parity difference of female against male moved from -0.142 in approved report "
        f"#{BASELINE_ID} to -0.330 now (difference -0.188, 95% CI -0.260 to -0.121): away from parity (0) by more "
        "than the plan's tolerance of 0.05."
    )
    assert sentences[("probe_failure", "tabular_counterfactual")] == (
        f"The counterfactual probe on sex fails now; in approved report #{BASELINE_ID} it was pass."
    )


def test_the_reading_counts_the_regressions_by_kind():
    document, _ = report_with_regressions()

    reading = report_reading(document)

    assert reading["regressions"] == (
        f"6 regressions since approved report #{BASELINE_ID}: 1 verdict change, 4 metric moves, 1 new probe failure."
    )


def test_no_regression_and_no_baseline_read_differently():
    document, _, _ = load_report("tabular_probe_report.json")
    none_found = {"baseline": {"report_id": 3, "sha256": "cd" * 32}, "tolerance": 0.1, "items": []}

    assert report_reading(document)["regressions"] == ""
    assert regressions_sentence(none_found) == "No regression since approved report #3 (metric tolerance 0.1)."


def test_the_schema_the_words_and_the_statistics_know_the_same_kinds():
    from audits.renderings.context import REGRESSION_KINDS
    from audits.reports.schema import SCHEMA_PATH
    from audits.reports.words import _KIND_WORDS
    from explainers.metrics.regressions import KINDS

    schema = json.loads(SCHEMA_PATH.read_text())

    assert schema["$defs"]["regression"]["properties"]["kind"]["enum"] == list(KINDS)
    assert tuple(_KIND_WORDS) == tuple(REGRESSION_KINDS) == KINDS
