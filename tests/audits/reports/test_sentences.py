"""The plain-language reading of a report: what was audited, verdict counts, top findings as sentences."""

from audits.reports.sentences import metric_sentence, report_reading
from tests.audits.exports.documents import load_report


def test_a_failing_ratio_reads_with_its_interval_band_and_verdict():
    document, _, _ = load_report("tabular_probe_report.json")
    result = next(r for r in document["results"] if r["metric"] == "disparate_impact")

    assert metric_sentence(result) == (
        "sex: selection rate of female is 0.486 of male's (95% CI 0.438 to 0.536); below the 0.8 to 1.25 band: fail."
    )


def test_findings_come_fail_first_and_say_how_many_were_left_out():
    document, _, _ = load_report("text_probe_report.json")

    reading = report_reading(document, top=4)

    assert [f["verdict"] for f in reading["findings"]] == ["fail"] * 4
    assert reading["more"] == 12
    assert reading["verdicts"] == (
        "36 group comparisons: 3 fail, 2 inconclusive, 7 pass, 24 not computable; 2 probes: 1 fail, 1 pass."
    )


def test_a_model_only_report_speaks_of_its_scores_and_names_no_dataset():
    document, _, _ = load_report("language_model_probe_report.json")

    reading = report_reading(document)

    assert "no dataset was involved" in reading["audited"]
    assert reading["findings"][0]["text"].startswith("CrowS-Pairs, all pairs: the model prefers the stereotypical")
    assert all("[, ]" not in f["text"] for f in reading["findings"])
