"""The CSV of findings: one row per metric result with the report's exact values, probe aggregates, no texts."""

import copy
import csv
import io

from audits.exports.findings_csv import COLUMNS, findings_csv
from tests.audits.exports.documents import load_report


def _rows(text: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames) == COLUMNS
    return list(reader)


def _number(cell: str):
    return None if cell == "" else float(cell)


def test_one_row_per_metric_result_with_the_values_of_the_report(any_report):
    document, _, _ = any_report

    rows = [r for r in _rows(findings_csv(document)) if r["kind"] == "metric"]

    assert len(rows) == len(document["results"])
    for row, result in zip(rows, document["results"], strict=True):
        assert (row["attribute"], row["decision_class"], row["group"], row["metric"]) == (
            result["attribute"],
            result["decision_class"],
            result["group"],
            result["metric"],
        )
        for column in ("value", "ci_low", "ci_high", "p_value", "p_value_holm"):
            assert _number(row[column]) == result[column], column
        assert row["verdict"] == result["verdict"] and int(row["n"]) == result["n_group"]


def test_text_probe_pairs_are_rows_with_their_statistics_and_verdicts():
    document, _, _ = load_report("text_probe_report.json")

    rows = [r for r in _rows(findings_csv(document)) if r["metric"] == "excess_flip_rate"]

    pairs = [(probe["attribute"], pair) for probe in document["probes"] for pair in probe["pairs"]]
    assert len(rows) == len(pairs) == 4
    for row, (attribute, pair) in zip(rows, pairs, strict=True):
        assert (row["probe"], row["attribute"]) == ("text_counterfactual", attribute)
        assert (row["source_group"], row["target_group"], row["verdict"]) == (
            pair["source_group"],
            pair["target_group"],
            pair["verdict"],
        )
        assert _number(row["value"]) == pair["excess_flip_rate"]
        assert (_number(row["ci_low"]), _number(row["ci_high"])) == (
            pair["excess_flip_ci_low"],
            pair["excess_flip_ci_high"],
        )


def test_model_probes_are_rows_per_bias_type_test_and_comparison():
    lm, _, _ = load_report("language_model_probe_report.json")
    encoder, _, _ = load_report("encoder_probe_report.json")

    lm_rows = _rows(findings_csv(lm))
    encoder_rows = _rows(findings_csv(encoder))

    crows, decision = lm["probes"]
    scores = {
        r["group"]: _number(r["value"])
        for r in lm_rows
        if r["probe"] == "crows_pairs" and r["attribute"] == "bias_type"
    }
    assert scores == {"overall": crows["overall"]["score"], **{b["name"]: b["score"] for b in crows["bias_types"]}}
    logits = [_number(r["value"]) for r in lm_rows if r["metric"] == "mean_logit_diff"]
    assert logits == [c["mean_logit_diff"] for a in decision["attributes"] for c in a["comparisons"]]
    effects = [r for r in encoder_rows if r["metric"] == "effect_size"]
    assert [_number(r["value"]) for r in effects] == [t["effect_size"] for t in encoder["probes"][0]["tests"]]
    assert effects[0]["group"].startswith("WEAT 1: Flowers vs Insects ~ Pleasant vs Unpleasant")


def test_no_example_text_reaches_the_csv(probe_report):
    document, _, _ = probe_report

    text = findings_csv(document)

    fragments = []
    for probe in document["probes"]:
        for example in probe.get("examples") or []:
            fragments += [example.get(k) for k in ("text", "counterfactual", "sent_more", "sent_less")]
    for entry in document.get("attributions") or []:
        fragments += [e[k] for e in entry.get("rendered") or [] for k in ("text", "counterfactual")]
        fragments += [p[k] for p in entry.get("pairs") or [] for k in ("text", "counterfactual")]
    fragments = [f for f in fragments if f]
    assert all(fragment not in text for fragment in fragments)
    if document["probes"][0]["probe"] == "text_counterfactual":
        assert len(fragments) > 10


def test_formula_like_labels_are_neutralised_and_negative_numbers_are_not(compas_report):
    document, _, _ = compas_report
    document = copy.deepcopy(document)
    document["results"][0]["group"] = '=HYPERLINK("http://evil.example","x")'

    rows = _rows(findings_csv(document))

    assert rows[0]["group"] == "'" + document["results"][0]["group"]
    negative = next(i for i, r in enumerate(document["results"]) if r["value"] is not None and r["value"] < 0)
    assert _number(rows[negative]["value"]) == document["results"][negative]["value"]
