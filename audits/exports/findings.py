"""The findings of a report as flat rows of aggregates, shared by the CSV, Model Card and Hugging Face exports.

Only group labels and aggregate statistics leave here: never example texts, row indices or individual values.
A probe row's ``statistic`` names the number it carries; ``headline`` marks the one statistic per slice that
decides its verdict (the numbers the model cards repeat).
"""

from collections.abc import Iterator


def result_slice(result: dict) -> str:
    """'attribute=group', with the one-vs-rest class when there is one."""
    label = f"{result['attribute']}={result['group']}"
    return label + (f", class={result['decision_class']}" if result["decision_class"] else "")


def probe_slice(row: dict) -> str:
    if row["source_group"]:
        return f"{row['attribute']}: {row['source_group']} -> {row['target_group']}"
    if row["group"] and row["reference_group"]:
        return f"{row['attribute']}={row['group']} vs {row['reference_group']}"
    if row["group"]:
        return f"{row['attribute']}={row['group']}"
    return row["attribute"]


def _row(probe: dict, statistic: str, value, **fields) -> dict:
    row = {
        "kind": "probe",
        "probe": probe["probe"],
        "attribute": probe["attribute"],
        "group": "",
        "reference_group": "",
        "source_group": "",
        "target_group": "",
        "statistic": statistic,
        "value": value,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "verdict": "",
        "n": None,
        "headline": False,
    }
    row.update(fields)
    return row


def _tabular(probe: dict) -> Iterator[dict]:
    yield _row(
        probe, "causal_discrimination_rate", probe["causal_discrimination_rate"], ci_low=probe["cdr_ci_low"],
        ci_high=probe["cdr_ci_high"], verdict=probe["verdict"], n=probe["n_rows"], headline=True,
    )  # fmt: skip
    for pair in probe["pairs"]:
        groups = {"source_group": pair["source_group"], "target_group": pair["target_group"], "n": pair["n"]}
        yield _row(
            probe, "flip_rate", pair["flip_rate"], ci_low=pair["flip_ci_low"], ci_high=pair["flip_ci_high"], **groups
        )
        yield _row(
            probe, "mean_delta", pair["mean_delta"], ci_low=pair["delta_ci_low"], ci_high=pair["delta_ci_high"],
            p_value=pair.get("wilcoxon_p"), **groups,
        )  # fmt: skip
    for proxy in probe.get("proxies") or []:
        yield _row(probe, f"proxy_association ({proxy['method']})", proxy["association"], group=proxy["feature"])


def _text(probe: dict) -> Iterator[dict]:
    yield _row(probe, "probe_verdict", None, verdict=probe["verdict"], n=probe.get("n_rows"))
    for pair in probe["pairs"]:
        groups = {"source_group": pair["source_group"], "target_group": pair["target_group"], "n": pair["n"]}
        yield _row(
            probe, "excess_flip_rate", pair["excess_flip_rate"], ci_low=pair.get("excess_flip_ci_low"),
            ci_high=pair.get("excess_flip_ci_high"), verdict=pair["verdict"], headline=True, **groups,
        )  # fmt: skip
        yield _row(
            probe, "flip_rate", pair["flip_rate"], ci_low=pair.get("flip_ci_low"), ci_high=pair.get("flip_ci_high"),
            **groups,
        )  # fmt: skip
        yield _row(probe, "control_flip_rate", pair.get("control_flip_rate"), **groups)
        yield _row(
            probe, "mean_delta", pair.get("mean_delta"), ci_low=pair.get("delta_ci_low"),
            ci_high=pair.get("delta_ci_high"), p_value=pair.get("wilcoxon_p"), **groups,
        )  # fmt: skip
        yield _row(
            probe, "excess_mean_abs_delta", pair.get("excess_mean_abs_delta"),
            ci_low=pair.get("excess_abs_delta_ci_low"), ci_high=pair.get("excess_abs_delta_ci_high"), **groups,
        )  # fmt: skip


def _crows_slice(probe: dict, attribute: str, entry: dict, headline: bool) -> dict:
    return _row(
        probe, "score", entry["score"], attribute=attribute, group=entry["name"], ci_low=entry["ci_low"],
        ci_high=entry["ci_high"], p_value=entry["p_value"], verdict=entry["verdict"], n=entry["n"], headline=headline,
    )  # fmt: skip


def _crows(probe: dict) -> Iterator[dict]:
    yield _crows_slice(probe, probe["attribute"], probe["overall"], True)
    for entry in probe["bias_types"]:
        yield _crows_slice(probe, probe["attribute"], entry, True)
    for entry in probe.get("directions") or []:
        yield _crows_slice(probe, "direction", entry, False)


def _bbq(probe: dict) -> Iterator[dict]:
    """Per slice (overall, each category): the two bias scores decide the verdict; the accuracies go with them."""
    for entry in [probe["overall"], *probe["categories"]]:
        sizes = {"ambiguous": entry["n_ambiguous"], "disambiguated": entry["n_disambiguated"]}
        for key, condition, headline in (
            ("s_amb", "ambiguous", True),
            ("s_dis", "disambiguated", True),
            ("accuracy_ambiguous", "ambiguous", False),
            ("accuracy_disambiguated", "disambiguated", False),
        ):
            yield _row(
                probe, key, entry[key], group=entry["name"], ci_low=entry[f"{key}_ci_low"],
                ci_high=entry[f"{key}_ci_high"], verdict=entry["verdict"] if headline else "", n=sizes[condition],
                headline=headline,
            )  # fmt: skip


def weat_test_label(test: dict) -> str:
    return f"{test['name']}: {' vs '.join(test['targets'])} ~ {' vs '.join(test['attributes'])}"


def _weat(probe: dict) -> Iterator[dict]:
    yield _row(probe, "probe_verdict", None, verdict=probe["verdict"])
    for test in probe["tests"]:
        yield _row(
            probe, "effect_size", test["effect_size"], group=weat_test_label(test), p_value=test["p_value_two_sided"],
            verdict=test["verdict"], n=test["n_x"] + test["n_y"], headline=True,
        )  # fmt: skip


def _discrim_eval(probe: dict) -> Iterator[dict]:
    yield _row(probe, "probe_verdict", None, verdict=probe["verdict"], n=probe.get("n_templates"))
    for attribute in probe["attributes"]:
        for row in attribute["comparisons"]:
            yield _row(
                probe, "mean_logit_diff", row["mean_logit_diff"], attribute=attribute["attribute"], group=row["group"],
                reference_group=row["reference"], ci_low=row["ci_low"], ci_high=row["ci_high"],
                p_value=row.get("wilcoxon_p"), verdict=row["verdict"], n=row["n_templates"], headline=True,
            )  # fmt: skip


_PROBES = {
    "tabular_counterfactual": _tabular,
    "text_counterfactual": _text,
    "crows_pairs": _crows,
    "bbq": _bbq,
    "weat": _weat,
    "discrim_eval": _discrim_eval,
}


def _attributions(entry: dict) -> Iterator[dict]:
    base = {"kind": "attribution"}
    if entry["probe"] == "tabular_counterfactual":
        yield _row(entry, "protected_share", entry.get("protected_share"), n=entry.get("n_rows"), **base)
        yield _row(entry, "proxy_share", entry.get("proxy_share"), n=entry.get("n_rows"), **base)
        return
    for row in entry.get("summaries") or []:
        groups = {"source_group": row["source_group"], "target_group": row["target_group"], "n": row["n_pairs"]}
        yield _row(entry, "mean_protected_share", row.get("mean_protected_share"), **groups, **base)
        yield _row(entry, "faithful_rate", row.get("faithful_rate"), **groups, **base)


def probe_rows(probe: dict) -> list[dict]:
    """One probe's slices and pairs."""
    return list(_PROBES[probe["probe"]](probe))


def is_headline(row: dict) -> bool:
    return row["headline"] and row["value"] is not None


def probe_findings(document: dict) -> list[dict]:
    """Every probe's slices and pairs, then the attribution summaries, in report order."""
    rows = [row for probe in document.get("probes") or [] for row in probe_rows(probe)]
    rows += [row for entry in document.get("attributions") or [] for row in _attributions(entry)]
    return rows


def headline_findings(document: dict) -> list[dict]:
    """The verdict-deciding statistic of each probe slice that could be computed."""
    return [row for row in probe_findings(document) if is_headline(row)]
