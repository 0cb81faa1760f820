"""The terminal summary of probe sections copes with statistics that could not be computed."""

import copy

import pytest

from audits.reports.notes import PROTECTED_SHARE
from audits.reports.summary import _text_probe_lines
from audits.reports.summary_probes import attribution_lines, weat_lines
from explainers.probes.benchmarks import load_weat_tests
from tests.audits.exports.documents import load_report


def test_text_probe_with_too_few_rows_prints_not_available():
    probe = {
        "attribute": "lexicon:gender",
        "verdict": "insufficient_data",
        "pairs": [
            {
                "source_group": "female",
                "target_group": "male",
                "n": 0,
                "flip_rate": None,
                "excess_flip_rate": None,
                "mean_abs_delta": None,
                "verdict": "insufficient_data",
            },
        ],
    }

    lines = _text_probe_lines(probe)

    assert lines[1] == (
        "  female -> male: n 0, flip rate n/a, excess over control n/a, mean |delta| n/a, verdict insufficient_data"
    )


def _text_attributions() -> dict:
    document, _, _ = load_report("text_probe_report.json")
    return copy.deepcopy(document["attributions"][0])


def test_a_protected_share_above_one_is_explained_in_the_terminal():
    entry = _text_attributions()
    assert any((row["mean_protected_share_neutral"] or 0) > 1 for row in entry["summaries"])

    assert attribution_lines(entry)[-1] == f"  ({PROTECTED_SHARE})"


@pytest.mark.parametrize("share", [0.0, 0.4, 1.0, None])
def test_shares_within_zero_and_one_need_no_explanation(share):
    entry = _text_attributions()
    for row in entry["summaries"]:
        row["mean_protected_share"] = row["mean_protected_share_neutral"] = share

    assert not any(PROTECTED_SHARE in line for line in attribution_lines(entry))


def test_weat_lines_tell_tests_three_to_five_apart():
    tests = [
        {"name": t.name, "targets": t.targets, "attributes": t.attributes, "effect_size": 0.5,
         "p_value_two_sided": 0.01, "verdict": "fail"}
        for t in load_weat_tests()
    ]  # fmt: skip

    lines = weat_lines({"pooling": "weat", "verdict": "fail", "tests": tests})[1:]

    titles = [line.split(": d ")[0] for line in lines]
    assert len(set(titles)) == len(titles) == 10
    assert "Greenwald" in titles[2] and "Bertrand" in titles[3] and "(8 words)" in titles[4]
