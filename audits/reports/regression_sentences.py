"""The regressions against the plan's last approved report, in words: one sentence per item (stored in the report
with the item). The whole section's sentence is `words.regressions_sentence` (the renderings read it too)."""

from audits.renderings.formatting import fmt_number, fmt_signed
from explainers.metrics.definitions import METRIC_DEFINITIONS
from explainers.metrics.regressions import Regression

from .words import PROBE_NAMES, level_words, verdict_word


def _metric_name(metric: str) -> str:
    definition = METRIC_DEFINITIONS.get(metric)
    return definition.name.lower() if definition else metric


def _regression_where(regression: Regression) -> str:
    if regression.decision_class:
        return f"{regression.attribute} (class '{regression.decision_class}' one-vs-rest)"
    return regression.attribute


def regression_sentence(
    regression: Regression, *, baseline_id: int, tolerance: float, alpha: float, min_group_size: int
) -> str:
    """One regression against approved report #`baseline_id`, in words (stored in the report with the item)."""
    where, approved = _regression_where(regression), f"approved report #{baseline_id}"
    if regression.kind == "verdict_change":
        return (
            f"{where}: {_metric_name(regression.metric)} of {regression.group} against {regression.reference_group} "
            f"was {verdict_word(regression.before)} in {approved} and is {verdict_word(regression.after)} now."
        )
    if regression.kind == "metric_move":
        low, high = regression.interval
        parity = METRIC_DEFINITIONS[regression.metric].parity
        sentence = (
            f"{where}: {_metric_name(regression.metric)} of {regression.group} against {regression.reference_group} "
            f"moved from {fmt_number(regression.before)} in {approved} to {fmt_number(regression.after)} now "
            f"(difference {fmt_signed(regression.difference)}, {level_words(alpha)} CI {fmt_signed(low)} to "
            f"{fmt_signed(high)}): away from parity ({parity:g}) by more than the plan's tolerance of {tolerance:g}."
        )
        if regression.baseline_reference_group:
            sentence += (
                f" Both values are measured against {regression.reference_group}; the approved report's reference "
                f"group was {regression.baseline_reference_group}."
            )
        return sentence
    if regression.kind == "check_failure":
        return f"The check “{regression.metric}” fails now; in {approved} it passed."
    if regression.kind == "probe_failure":
        name = PROBE_NAMES.get(regression.metric, regression.metric)
        then = f"was {verdict_word(regression.before)}" if regression.before else "was not run"
        return f"The {name} on {regression.attribute} fails now; in {approved} it {then}."
    rows = f"{regression.after} rows" if regression.after else "no rows"
    return (
        f"{where}: group {regression.group} has {rows} now, under the minimum group size of {min_group_size} "
        f"(it had {regression.before} in {approved}), so its comparisons cannot be judged."
    )
