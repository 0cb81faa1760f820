"""An audit plan's settings: the one definition of every default and allowed range (design.md sections 4-6).

`PlanSettings` holds the statistics of the group metrics (bootstrap replicates, seed, alpha, minimum sizes) and
the tolerance beyond which a metric's move since the last approved report is a regression;
`ProbeSettings` holds what the counterfactual probes and the attribution stage read, including the caps that
bound their cost (bootstrap replicates inside a probe, rows of the text probe, rows read before sampling), so a
report can state every value that shaped its numbers. The plan service, the REST API, the CLI, the engine and
the library's own default arguments all read them from here.

Both are frozen and validated on construction: a value out of range raises `SettingsError`, whose `field`
names the setting and whose message is the one users see.
"""

import math
from dataclasses import asdict, dataclass, fields

DEFAULT_N_BOOT = 2000
DEFAULT_SEED = 0
DEFAULT_ALPHA = 0.05
DEFAULT_MIN_GROUP_SIZE = 30
DEFAULT_MIN_DENOMINATOR = 10
# A metric must move more than this (in its own units: ratio or difference of rates) since the last approved report,
# away from parity and with a difference interval excluding zero, to be a regression (explainers.metrics.regressions).
DEFAULT_REGRESSION_TOLERANCE = 0.05
REGRESSION_TOLERANCE_RANGE = (0.0, 1.0)
N_BOOT_RANGE = (100, 100_000)
# The error rate the verdicts hold at (design.md §4 "Verdicts hold as a family"; explainers.metrics.family).
VERDICT_ERROR_CONTROLS = ("per_comparison", "familywise", "fdr")
DEFAULT_VERDICT_ERROR_CONTROL = "familywise"
SEED_MAX = 2**63 - 1  # the largest seed a plan can store (a signed 64-bit column)

# Smallest samples the benchmark probes give a verdict on: a plan may not sample fewer.
MIN_CROWS_PAIRS = 20
MIN_BBQ_SAMPLE = 20  # smallest probe_settings.max_items: a couple of items per category and context condition
MIN_DISCRIM_TEMPLATES = 10

BLACK_BOX_METHODS = ("occlusion", "shap")


class SettingsError(ValueError):
    """A setting that is not allowed. `field` names it; the message is worded for the person who chose it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class PlanSettings:
    """Statistics of the group metrics (design.md section 4): B replicates, seed, alpha and minimum sizes, the
    regression tolerance: how far a metric must move since the last approved report to be a regression, and
    verdict_error_control: the error rate verdicts hold at (per_comparison, familywise or fdr).

    Raises:
        SettingsError: with the field at fault, when a value is outside its range.
    """

    n_boot: int = DEFAULT_N_BOOT
    seed: int = DEFAULT_SEED
    alpha: float = DEFAULT_ALPHA
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE
    min_denominator: int = DEFAULT_MIN_DENOMINATOR
    regression_tolerance: float = DEFAULT_REGRESSION_TOLERANCE
    verdict_error_control: str = DEFAULT_VERDICT_ERROR_CONTROL

    def __post_init__(self) -> None:
        low, high = N_BOOT_RANGE
        if not _whole(self.n_boot) or not low <= self.n_boot <= high:
            raise SettingsError("n_boot", f"n_boot must be between {low} and {high}.")
        if not _whole(self.seed) or not 0 <= self.seed <= SEED_MAX:
            raise SettingsError("seed", f"seed must be a whole number between 0 and {SEED_MAX}.")
        if not _number(self.alpha) or not 0 < self.alpha < 0.5:
            raise SettingsError("alpha", "alpha must be between 0 and 0.5.")
        for name in ("min_group_size", "min_denominator"):
            value = getattr(self, name)
            if not _whole(value) or value < 1:
                raise SettingsError(name, "Minimum sizes must be at least 1.")
        low, high = REGRESSION_TOLERANCE_RANGE
        if not _number(self.regression_tolerance) or not low <= self.regression_tolerance <= high:
            raise SettingsError("regression_tolerance", f"regression_tolerance must be between {low:g} and {high:g}.")
        object.__setattr__(self, "regression_tolerance", float(self.regression_tolerance))
        if self.verdict_error_control not in VERDICT_ERROR_CONTROLS:
            raise SettingsError(
                "verdict_error_control", f"verdict_error_control must be one of {', '.join(VERDICT_ERROR_CONTROLS)}."
            )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ProbeSettings:
    """What the probes (design.md section 5) and the attribution stage (section 6) read.

    max_rows: rows sampled by the tabular probe (and the pool the text probe samples from).
    threshold: the probes' practical-effect threshold on the favourable-class score.
    n_examples, include_examples: example pairs kept in the report (and per-pair artifacts written at all).
    lexicons: word lists of the text probe. seat_templates: SEAT sentences ("{}" is the word; empty: WEAT).
    max_pairs, max_templates: seeded samples of CrowS-Pairs pairs and discrim-eval templates (None: all).
    max_items: seeded sample of BBQ items, stratified by category and context condition (None: all).
    n_permutations: Monte Carlo partitions of the WEAT permutation test.
    max_n_boot: bootstrap replicates inside a probe are min(plan n_boot, max_n_boot).
    max_text_rows: the text probe samples min(max_rows, max_text_rows) rows per substitution set.
    sample_read_factor: a dataset probe reads whole row groups until it holds sample_read_factor x max_rows
        rows, then draws its own seeded sample from them (bounded memory).
    attributions, attribution_budget, attribution_tolerance: explain up to `budget` pairs per probe finding;
        Integrated Gradients raises its steps until the completeness error is within `tolerance`.
    attribution_black_box: score-only models get word "occlusion" (one text per word) or "shap" (SHAP's text
        explainer, about ten texts per word: the stated cost of Owen values that add up).
    attribution_rows_per_pair: a tabular finding is explained on min(max_rows, this x budget) rows.
    attribution_rendered_pairs: explained pairs rendered token by token in the report.
    global_explanations: the global-explanation stage (issue 16): activation clusters and attention summaries of a
        transformers classifier, SHAP importance per group and partial dependence of a tabular model; it reads
        global_max_rows rows (seeded sample), hidden states of global_layer (None: the last; 0: embeddings) and
        summarises attention on attention_examples texts holding a lexicon term.
    explanation_quality: stability (meaning-preserving rewrites) and consistency (two methods) of the attributions,
        on quality_examples texts or rows.

    Raises:
        SettingsError: with the field at fault, when a value is of the wrong kind or outside its range.
    """

    max_rows: int = 20_000
    threshold: float = 0.05
    n_examples: int = 5
    include_examples: bool = True
    lexicons: tuple[str, ...] = ("gender",)
    max_pairs: int | None = None
    max_templates: int | None = None
    max_items: int | None = None
    n_permutations: int = 10_000
    seat_templates: tuple[str, ...] = ()
    max_n_boot: int = DEFAULT_N_BOOT
    max_text_rows: int = 5000
    sample_read_factor: int = 5
    attributions: bool = False
    attribution_budget: int = 20
    attribution_tolerance: float = 0.01
    attribution_black_box: str = "occlusion"
    attribution_rows_per_pair: int = 10
    attribution_rendered_pairs: int = 3
    global_explanations: bool = False
    global_max_rows: int = 2000
    global_layer: int | None = None
    attention_examples: int = 5
    explanation_quality: bool = False
    quality_examples: int = 20

    @classmethod
    def from_dict(cls, data: dict | None) -> "ProbeSettings":
        """Settings from their JSON form (a plan's probe_settings); missing keys take the defaults."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise SettingsError("probe_settings", "probe_settings must be an object.")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise SettingsError("probe_settings", f"Unknown probe settings {unknown}.")
        return cls(**data)

    def to_dict(self) -> dict:
        """The JSON form: every setting, resolved (lists for the tuples)."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    def __post_init__(self) -> None:
        for name in ("lexicons", "seat_templates"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.lexicons == ():  # an empty list asks for the default lexicon, as it always has
            object.__setattr__(self, "lexicons", ProbeSettings.lexicons)
        for field in fields(self):
            problem = _PROBE_RULES[field.name](getattr(self, field.name))
            if problem:
                raise SettingsError(field.name, f"probe_settings.{field.name} {problem}.")


def _between(low, high):
    def rule(value):
        return None if _whole(value) and low <= value <= high else f"must be between {low} and {high}"

    return rule


def _at_least(low: int, optional: bool = False):
    def rule(value):
        if (value is None and optional) or (_whole(value) and value >= low):
            return None
        return f"must be a whole number of at least {low}"

    return rule


def _boolean(value):
    return None if isinstance(value, bool) else "must be true or false"


def _names(value):
    if isinstance(value, tuple) and all(isinstance(name, str) and name for name in value):
        return None
    return "must be a list of lexicon names"


def _templates(value):
    if isinstance(value, tuple) and all(isinstance(t, str) and "{}" in t for t in value):
        return None
    return 'must be a list of sentences, each holding "{}" where the word goes'


# What each probe setting allows; a rule returns what is wrong with a value, or None.
_PROBE_RULES = {
    "max_rows": _between(100, 1_000_000),
    "threshold": lambda v: None if _number(v) and 0 <= v <= 1 else "must be between 0 and 1",
    "n_examples": _at_least(0),
    "include_examples": _boolean,
    "lexicons": _names,
    "max_pairs": _at_least(MIN_CROWS_PAIRS, optional=True),
    "max_templates": _at_least(MIN_DISCRIM_TEMPLATES, optional=True),
    "max_items": _at_least(MIN_BBQ_SAMPLE, optional=True),
    "n_permutations": _at_least(100),
    "seat_templates": _templates,
    "max_n_boot": _between(*N_BOOT_RANGE),
    "max_text_rows": _between(100, 1_000_000),
    "sample_read_factor": _between(1, 100),
    "attributions": _boolean,
    "attribution_budget": _between(1, 500),
    "attribution_tolerance": lambda v: None if _number(v) and 0 < v <= 0.5 else "must be in (0, 0.5]",
    "attribution_black_box": lambda v: None if v in BLACK_BOX_METHODS else 'must be "occlusion" or "shap"',
    "attribution_rows_per_pair": _between(1, 1000),
    "attribution_rendered_pairs": _between(0, 100),
    "global_explanations": _boolean,
    "global_max_rows": _between(20, 100_000),
    "global_layer": _at_least(0, optional=True),
    "attention_examples": _between(0, 50),
    "explanation_quality": _boolean,
    "quality_examples": _between(5, 500),
}

# The defaults, for the library's own default arguments.
PROBE_DEFAULTS = ProbeSettings()
