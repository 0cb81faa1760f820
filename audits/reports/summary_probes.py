"""Terminal lines for the model probes of a report (CrowS-Pairs, BBQ, WEAT, discrim-eval)."""

from audits.reports.notes import PROTECTED_SHARE, share_outside_unit


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


def bbq_lines(probe: dict) -> list[str]:
    overall = probe["overall"]

    def scores(entry: dict) -> str:
        return (
            f"acc amb {_n(entry['accuracy_ambiguous'], '.2f')} dis {_n(entry['accuracy_disambiguated'], '.2f')}  "
            f"s_AMB {_n(entry['s_amb'], '+.3f')} [{_n(entry['s_amb_ci_low'], '+.3f')}, "
            f"{_n(entry['s_amb_ci_high'], '+.3f')}]  s_DIS {_n(entry['s_dis'], '+.3f')} "
            f"[{_n(entry['s_dis_ci_low'], '+.3f')}, {_n(entry['s_dis_ci_high'], '+.3f')}]"
        )

    lines = [f"BBQ ({probe['n_items']} items, answer by log-likelihood per character): {scores(overall)}, "
             f"verdict {probe['verdict']}"]  # fmt: skip
    for entry in probe["categories"]:
        n = entry["n_ambiguous"] + entry["n_disambiguated"]
        lines.append(f"  {entry['name']:<20} n {n:>5}  {scores(entry)}  {entry['verdict']}")
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


MODEL_PROBE_LINES = {"crows_pairs": crows_lines, "bbq": bbq_lines, "weat": weat_lines, "discrim_eval": decision_lines}


def attribution_lines(entry: dict) -> list[str]:
    """One block per explained probe finding: what carries the decision, and whether the explanation holds."""
    if entry["probe"] == "tabular_counterfactual":
        faith = entry.get("faithfulness") or {}
        qualified = [p for p in entry["proxies"] if p.get("is_proxy", True) and p["share"] is not None]
        proxies = ", ".join(f"{p['feature']} {p['share']:.2f} (association {p['association']:.2f})" for p in qualified)
        rule = entry.get("proxy_rule") or {}
        lines = [
            f"Attributions for {entry['attribute']} ({entry['method']} SHAP, {entry['n_rows']} rows, "
            f"{entry['output']}): protected share {_n(entry['protected_share'], '.2f')}, proxies {proxies or 'none'}; "
            f"faithful {faith.get('faithful')}"
        ]
        if rule:
            lines.append(
                f"  proxy share {_n(entry.get('proxy_share'), '.2f')}: association-weighted attribution of features "
                f"whose association is significant (Holm p < {rule['alpha']}) and at least {rule['min_association']}"
            )
        return lines
    converged = "" if entry.get("all_converged") is None else f", completeness bound met: {entry['all_converged']}"
    lines = [f"Attributions for {entry['attribute']} ({entry['method']}, {entry['n_pairs']} pairs{converged})"]
    integrated = entry["method"] == "integrated_gradients"
    for row in entry["summaries"]:
        share = (
            f"protected share {_n(row['mean_protected_share'], '.2f')} "
            f"(neutral baseline {_n(row['mean_protected_share_neutral'], '.2f')})"
            if integrated
            else f"protected share by {'SHAP' if entry['method'] == 'shap_partition' else 'occlusion'} "
            f"{_n(row['mean_protected_share_neutral'], '.2f')}"
        )
        lines.append(
            f"  {row['source_group']} -> {row['target_group']}: {row['n_pairs']} pairs ({row['n_flipped']} flipped), "
            f"{share}, "
            f"top word protected in {_n(row['flipped_top_protected_rate'], '.0%')} of flips, "
            f"faithful {_n(row['faithful_rate'], '.0%')}"
        )
    shares = [
        row.get(key) for row in entry["summaries"] for key in ("mean_protected_share", "mean_protected_share_neutral")
    ]
    if share_outside_unit(*shares):
        lines.append(f"  ({PROTECTED_SHARE})")
    return lines
