"""From merged counts to results: metrics with intervals, significance (Holm), conventions, scores."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow.parquet as pq

from explainers.estimated import audit_estimated_attribute_with_replicates, expected_counts, method_description
from explainers.estimated.bisg import FALLBACK_LEVELS, LEVELS
from explainers.metrics import AttributeResult, MetricConfig, conventions_side_by_side, holm_adjust
from explainers.metrics.audit import audit_attribute_with_replicates
from explainers.metrics.family import FAMILYWISE, FDR, FamilySlice, control_family
from explainers.metrics.scores import score_analysis, threshold_optimizer_whatif
from explainers.metrics.significance import by_adjust

from .continuous import continuous_and_ranking
from .counting import ChunkCounts, score_normalisation, slice_key
from .score_rates import score_rates
from .spec import AttributeSpec, EngineInput, EstimatedSpec

ESTIMATED_LABEL = "estimated from proxies"


@dataclass
class SliceResult:
    """One attribute audited for one decision class ("" = the declared favourable decision)."""

    spec: AttributeSpec
    decision_class: str
    result: AttributeResult
    conventions: dict | None
    p_holm: list[float | None] = field(default_factory=list)  # aligned with result.results
    estimated: EstimatedSpec | None = None  # set when the attribute was estimated from proxies


@dataclass
class EngineOutput:
    slices: list[SliceResult]
    rows_total: int
    rows_missing_decision_or_outcome: int
    rows_missing_attribute: dict[str, int]
    score_analysis: dict | None = None
    score_rates: dict | None = None  # NYC LL144 scoring rates (score_rates.py), when a score column is audited
    comparisons_tested: int = 0
    # What the plan's verdict_error_control did over the audit (explainers.metrics.family.FamilySummary.to_dict()).
    verdict_error_control: dict | None = None
    probes: list[dict] = field(default_factory=list)
    attributions: list[dict] = field(default_factory=list)
    # The count table of each attribute for the declared favourable decision (user-stated rate checks read them).
    tables: dict = field(default_factory=dict)
    checks: list[dict] = field(default_factory=list)
    continuous: dict | None = None  # continuous scores and outcomes (pipeline.continuous)
    ranking: dict | None = None  # exposure and top-k shares of a rank column (pipeline.continuous)
    global_explanations: dict | None = None  # optional stages (issue 16), JSON-ready
    explanation_quality: dict | None = None
    estimated: list[dict] = field(default_factory=list)  # how each estimated attribute was estimated (coverage)

    @property
    def attributes(self) -> list[AttributeResult]:
        return [s.result for s in self.slices]


def _attribute_seed(seed: int, index: int) -> int:
    """One independent, reproducible stream per audited slice, derived from the plan's seed."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def _config(spec: EngineInput, attribute: AttributeSpec | EstimatedSpec, index: int) -> MetricConfig:
    return MetricConfig(
        reference_group=attribute.reference_group or None,
        metrics=tuple(spec.metrics),
        bands={k: tuple(v) for k, v in spec.bands.items()} or None,
        n_boot=spec.n_boot,
        seed=_attribute_seed(spec.seed, index),
        alpha=spec.alpha,
        min_group_size=spec.min_group_size,
        min_denominator=spec.min_denominator,
    )


def _spec_rule(spec: EngineInput) -> str:
    return spec.verdict_error_control or FAMILYWISE


def finish(
    spec: EngineInput, counts: ChunkCounts, progress: Callable[[float, str], None] | None = None
) -> EngineOutput:
    slices: list[SliceResult] = []
    drawn: list[tuple[np.ndarray, np.ndarray | None]] = []  # each slice's point table and bootstrap tables
    pairs = [(a, cls) for cls in spec.slices() for a in spec.attributes]
    for index, (attribute, cls) in enumerate(pairs):
        table = counts.tables.get(slice_key(attribute.name, cls))
        if table is None or len(table.groups) < 2:
            raise ValueError(
                f"'{attribute.name}' has fewer than two groups with rows left to audit after dropping missing values."
            )
        result, replicates = audit_attribute_with_replicates(
            table, attribute=attribute.name, config=_config(spec, attribute, index)
        )
        drawn.append((np.asarray(table.cells), replicates))
        conventions = conventions_side_by_side(table, result.reference_group) if cls == "" else None
        slices.append(SliceResult(spec=attribute, decision_class=cls, result=result, conventions=conventions))
        if progress:
            progress(0.6 + 0.3 * (index + 1) / len(pairs), f"metrics for {attribute.name}{' / ' + cls if cls else ''}")
    estimated = _estimated_slices(spec, counts, slices, drawn, len(pairs))
    tested = _holm_across_audit(slices)
    family = _control_verdicts(spec, slices, drawn)
    continuous, ranking = continuous_and_ranking(spec)
    return EngineOutput(
        slices=slices,
        rows_total=counts.rows,
        rows_missing_decision_or_outcome=counts.dropped,
        rows_missing_attribute=counts.missing,
        score_analysis=_scores(spec, counts, slices),
        score_rates=score_rates(spec),
        comparisons_tested=tested,
        verdict_error_control=family,
        tables={
            s.spec.name: counts.tables[slice_key(s.spec.name, "")]
            for s in slices
            if s.decision_class == "" and s.estimated is None  # estimated slices have soft tables only
        },
        continuous=continuous,
        ranking=ranking,
        estimated=estimated,
    )


def finish_without_decisions(spec: EngineInput) -> EngineOutput:
    """A dataset audit with no binary decision (continuous scores or ranks only): no count tables, so no
    group-rate metric; the report says they are not computable (design.md section 4)."""
    if not spec.without_decisions:
        raise ValueError("This audit has binary decisions: count them and call finish.")
    continuous, ranking = continuous_and_ranking(spec)
    if continuous is None and ranking is None:
        raise ValueError(
            "Nothing to audit: no decision column, and neither a continuous score (outcome type continuous with a "
            "score column) nor a rank column."
        )
    rows = pq.ParquetFile(spec.parquet_path).metadata.num_rows
    return EngineOutput(
        slices=[],
        rows_total=rows,
        rows_missing_decision_or_outcome=0,
        rows_missing_attribute={},
        score_rates=score_rates(spec),
        continuous=continuous,
        ranking=ranking,
    )


def _estimated_slices(
    spec: EngineInput, counts: ChunkCounts, slices: list[SliceResult], drawn: list, offset: int
) -> list[dict]:
    """Audit each estimated attribute on its soft table (explainers.estimated); describe how it was estimated.
    Appends each slice, and its soft point and bootstrap tables to `drawn`, so the verdict rule covers them too."""
    described = []
    for position, (estimated, cls) in enumerate((e, c) for c in spec.slices() for e in spec.estimated):
        patterns = counts.soft.get(slice_key(estimated.name, cls))
        if patterns is None or patterns.n == 0:
            raise ValueError(f"'{estimated.name}' has no rows left to audit.")
        config = _config(spec, estimated, offset + position)
        result, replicates = audit_estimated_attribute_with_replicates(
            patterns, attribute=estimated.name, config=config
        )
        drawn.append((np.asarray(patterns.table()), replicates))
        shown = AttributeSpec(estimated.name, estimated.columns[:1], estimated.reference_group)
        slices.append(SliceResult(shown, cls, result, conventions=None, estimated=estimated))
        if cls == "":
            described.append(estimation_summary(estimated, patterns))
    return described


def estimation_summary(estimated: EstimatedSpec, patterns) -> dict:
    """The report's account of one estimate: method, tables, coverage, fallbacks and expected group sizes."""
    levels = dict(zip(LEVELS, patterns.levels or (0,) * len(LEVELS), strict=True))
    n = max(patterns.n, 1)
    return {
        "attribute": estimated.name,
        "label": ESTIMATED_LABEL,
        "estimate": estimated.estimate,
        "surname_column": estimated.surname_column,
        "zip_column": estimated.zip_column,
        "first_name_column": estimated.first_name_column,
        **method_description(zip_given=bool(estimated.zip_column), first_name_given=bool(estimated.first_name_column)),
        "rows": patterns.n,
        "rows_by_level": levels,
        "surname_coverage": sum(levels[k] for k in ("bifsg", "bisg", "surname")) / n,
        "fallback_share": sum(levels[k] for k in FALLBACK_LEVELS) / n,
        "expected_counts": expected_counts(patterns),
        "weighting": "probability-weighted count tables: each row adds its membership probabilities to its cells",
        "bootstrap": "rows resampled with their probabilities: Multinomial(N, counts/N) over distinct "
        "(probability vector, outcome, decision) patterns, exactly the row bootstrap",
        "test": "two-sided bootstrap percentile test against parity (no test for equalized odds)",
        "assumption": "unbiased when the probabilities are calibrated and the decision carries no information "
        "about race beyond the proxies (surname, ZIP, first name); otherwise it is biased, typically toward parity "
        "(Chen et al. 2019, Fairness under unawareness)",
    }


def _holm_across_audit(slices: list[SliceResult]) -> int:
    """design.md section 4: Holm-adjusted p-values across all comparisons of the audit."""
    flat = [r.p_value for s in slices for r in s.result.results]
    adjusted = holm_adjust(flat)
    position = 0
    for piece in slices:
        size = len(piece.result.results)
        piece.p_holm = adjusted[position : position + size]
        position += size
    return sum(p is not None for p in flat)


def _control_verdicts(spec: EngineInput, slices: list[SliceResult], drawn: list) -> dict:
    """design.md section 4 "Verdicts hold as a family": revise the verdicts under the plan's rule, in place.

    The coherence rule tests with the p-values adjusted as the rule is: Holm (familywise), Benjamini-Yekutieli
    (fdr), none (per_comparison), each across every comparison of the audit.
    """
    rule = _spec_rule(spec)
    if rule == FAMILYWISE:
        adjusted = [piece.p_holm for piece in slices]
    elif rule == FDR:
        flat = by_adjust([r.p_value for piece in slices for r in piece.result.results])
        adjusted, position = [], 0
        for piece in slices:
            adjusted.append(flat[position : position + len(piece.result.results)])
            position += len(piece.result.results)
    else:
        adjusted = [[r.p_value for r in piece.result.results] for piece in slices]
    family = [
        FamilySlice(result=piece.result, cells=cells, replicates=replicates, p_adjusted=p)
        for piece, (cells, replicates), p in zip(slices, drawn, adjusted, strict=True)
    ]
    revised, summary = control_family(family, rule=rule, alpha=spec.alpha)
    for piece, result in zip(slices, revised, strict=True):
        piece.result = result
    return summary.to_dict()


def _scores(spec: EngineInput, counts: ChunkCounts, slices: list[SliceResult]) -> dict | None:
    if not counts.histograms:
        return None
    references = {s.spec.name: s.result.reference_group for s in slices if s.decision_class == ""}
    analysis = {}
    sample = counts.sample
    for name, histogram in counts.histograms.items():
        try:
            entry = {"analysis": score_analysis(histogram, reference_group=references[name])}
        except ValueError as exc:  # an analysis that cannot be made is reported, never fails the audit
            analysis[name] = {"error": str(exc)}
            continue
        groups = sample.get(f"group:{name}", [])
        if len(groups) >= 50 and len(set(groups)) >= 2:
            try:
                entry["whatif"] = threshold_optimizer_whatif(
                    np.asarray(groups, dtype=object),
                    np.asarray(sample["score"]),
                    np.asarray(sample["outcome"]),
                    reference_group=references[name],
                    constraint="demographic_parity",
                    max_rows=spec.whatif_max_rows,
                    seed=spec.seed,
                )
            except ValueError as exc:  # e.g. a group without both outcomes: say so instead of failing the audit
                entry["whatif"] = {"label": "analysis, not a recommendation", "error": str(exc)}
        analysis[name] = entry
    return {
        "score_column": spec.score_column or "the model's P(favourable class)",
        "higher_is_favourable": spec.score_higher_is_favourable,
        "raw_range": list(spec.score_range) if spec.score_range else None,
        "normalisation": score_normalisation(spec),
        "note": "Analysis, not a recommendation: group-specific thresholds may themselves be unlawful.",
        "by_attribute": analysis,
    }
