"""Terminal lines for the model probes of a report (CrowS-Pairs, WEAT, discrim-eval)."""


def _n(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def crows_lines(probe: dict) -> list[str]:
    overall = probe["overall"]
    lines = [
        f"CrowS-Pairs ({probe['n_pairs']} pairs, {probe['scoring']}): score {_n(overall['score'], '.1f')} "
        f"[{_n(overall['ci_low'], '.1f')}, {_n(overall['ci_high'], '.1f')}] (50 = no preference), "
        f"verdict {probe['verdict']}"
    ]
    for group in probe["bias_types"]:
        lines.append(
            f"  {group['name']:<20} n {group['n']:>4}  score {_n(group['score'], '5.1f')} "
            f"[{_n(group['ci_low'], '.1f')}, {_n(group['ci_high'], '.1f')}]  {group['verdict']}"
        )
    return lines


def weat_lines(probe: dict) -> list[str]:
    lines = [f"WEAT/SEAT ({probe['pooling']}): verdict {probe['verdict']}"]
    for test in probe["tests"]:
        targets = " vs ".join(test["targets"])
        attributes = " vs ".join(test["attributes"])
        lines.append(
            f"  {test['name']}: {targets} ~ {attributes}: d {_n(test['effect_size'], '+.2f')}, "
            f"p {_n(test['p_value_two_sided'], '.4f')}  {test['verdict']}"
        )
    return lines


def decision_lines(probe: dict) -> list[str]:
    lines = [
        f"Decision probe (discrim-eval, {probe['n_templates']} templates, {probe['measure']}): "
        f"verdict {probe['verdict']}"
    ]
    for attribute in probe["attributes"]:
        lines.append(f"  {attribute['attribute']} (reference {attribute['reference']}):")
        for row in attribute["comparisons"]:
            lines.append(
                f"    {row['group']:<16} mean logit diff {_n(row['mean_logit_diff'], '+.3f')} "
                f"[{_n(row['ci_low'], '+.3f')}, {_n(row['ci_high'], '+.3f')}]  P(yes) {_n(row['p_yes'], '.3f')} "
                f"vs {_n(row['p_yes_reference'], '.3f')}  {row['verdict']}"
            )
    return lines


MODEL_PROBE_LINES = {"crows_pairs": crows_lines, "weat": weat_lines, "discrim_eval": decision_lines}
