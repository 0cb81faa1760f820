"""The terminal summary of probe sections copes with statistics that could not be computed."""

from audits.reports.summary import _text_probe_lines


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
