"""Limitations name each gap once, in a stable order."""

from audits.reports.compliance import limitations


def test_limitations_name_each_gap_once_in_a_stable_order():
    results = [
        {"metric": "disparate_impact", "attribute": "sex", "group": "f", "verdict": "insufficient_data"},
        {"metric": "equal_opportunity_difference", "attribute": "sex", "group": "f", "verdict": "not_computable"},
        {"metric": "disparate_impact", "attribute": "sex", "group": "m", "verdict": "pass"},
    ]
    probes = [{"probe": "text_counterfactual", "attribute": "lexicon:age", "verdict": "insufficient_data"}]
    attributions = [{"attribute": "lexicon:age", "all_converged": False}]

    lines = limitations(results, probes, attributions)

    assert lines == sorted(lines) and len(lines) == 4
    assert any(line.startswith("disparate_impact for sex=f") for line in lines)
    assert not any("sex=m" in line for line in lines)
