"""New audit: the plan builder (audit_plan_create)."""

from django import forms
from django.urls import reverse_lazy

from audits import selectors
from audits.choices import ModelKind, OutcomeType, VerdictErrorControl
from audits.constants import (
    ATTRIBUTION_METHODS,
    BUILTIN_LEXICONS,
    ESTIMATED_RACE_GROUPS,
    METRICS,
    PLAN_DEFAULTS,
    PROBE_DEFAULTS,
)
from audits.exceptions import ApplicationError
from audits.execution.probes import PROBES
from audits.services.plan_continuous import DEFAULT_TOP_K
from audits.services.plans import PROBES_BY_KIND

from ._common import DatasetField, show_service_error

# One sentence per metric saying when it passes (the bands are the metric definitions' defaults).
METRIC_SENTENCES = {
    "disparate_impact": "The group's selection rate divided by the reference group's; passes between {low} and {high} "
    "(the four-fifths rule).",
    "statistical_parity_difference": "The group's selection rate minus the reference group's; passes between {low} "
    "and {high}.",
    "equal_opportunity_difference": "Among people whose outcome was favourable, the group's rate of favourable "
    "decisions minus the reference group's; passes between {low} and {high}. Needs an outcome column.",
    "equal_opportunity_ratio": "The same true-positive rates as a ratio; passes between {low} and {high}. "
    "Needs an outcome column.",
    "equalized_odds_difference": "The larger gap in true-positive or false-positive rate; passes up to {high}. "
    "Needs an outcome column.",
    "predictive_parity_difference": "Among favourable decisions, the group's share that proved right minus the "
    "reference group's; passes between {low} and {high}. Needs an outcome column.",
}

PROBE_LABELS = {
    "tabular_counterfactual": "Tabular counterfactual: change the protected value of each row and count changed "
    "decisions",
    "text_counterfactual": "Text counterfactual: swap group words (he/she...) in the text and count changed decisions",
    "crows_pairs": "CrowS-Pairs: does the language model prefer stereotyped sentences?",
    "bbq": "BBQ: does the language model answer questions by stereotype when the context leaves it open?",
    "weat": "WEAT: associations between group words and attribute words in the encoder",
    "discrim_eval": "Discrim-eval: the model's yes/no decisions across demographic variations",
}


def metric_choices() -> list[tuple[str, str]]:
    return [(m.id, m.name) for m in METRICS]


def metric_explanations() -> dict[str, str]:
    fallback = "Passes between {low} and {high}."
    return {m.id: METRIC_SENTENCES.get(m.id, fallback).format(low=m.band_low, high=m.band_high) for m in METRICS}


# The probe settings the builder asks for, and the probes that read each (the others keep their defaults).
SETTING_PROBES = {
    "lexicons": ("text_counterfactual",),
    "max_rows": ("tabular_counterfactual", "text_counterfactual"),
    "attributions": ("tabular_counterfactual", "text_counterfactual"),
    "attribution_budget": ("tabular_counterfactual", "text_counterfactual"),
    "attribution_black_box": ("tabular_counterfactual", "text_counterfactual"),
    "max_pairs": ("crows_pairs",),
    "max_items": ("bbq",),
    "n_permutations": ("weat",),
    "max_templates": ("discrim_eval",),
}
EXPLANATION_STAGES = ("global_explanations", "explanation_quality")
EXPLAINED_KINDS = (ModelKind.SKOPS_PIPELINE, ModelKind.HF_CLASSIFIER, ModelKind.BUILTIN_TEXT)
BLACK_BOX_LABELS = {
    "occlusion": "Occlusion: remove one word at a time (one model call per word)",
    "shap": "SHAP text explainer: Owen values that add up (about ten model calls per word)",
}
STATISTICS = (
    "n_boot", "alpha", "min_group_size", "min_denominator", "seed", "regression_tolerance", "verdict_error_control",
)  # fmt: skip
ESTIMATE_FIELDS = ("surname_column", "zip_column", "first_name_column", "estimate_reference")
SEPARATOR = "|"  # joins the two attribute names of an intersection choice


def band_field_names(metric_id: str) -> tuple[str, str]:
    return f"band_low_{metric_id}", f"band_high_{metric_id}"


class ModelField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_kind_display()}, {obj.workspace.name})"


class AttributeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        groups = ", ".join(str(g) for g in obj.groups[:8]) + (", ..." if len(obj.groups) > 8 else "")
        return f"{obj.name} (groups: {groups})"


def _optional_count(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=False, help_text=help_text)


class PlanForm(forms.Form):
    """The plan builder. Attributes, intersections, probes and probe settings offered depend on the chosen dataset
    and model (see limit_to()); every default is read from the one definition (audits.constants)."""

    model = ModelField(queryset=None, label="Model")
    dataset = DatasetField(queryset=None, label="Dataset", required=False)
    name = forms.CharField(label="Plan name", max_length=200, required=False, help_text="Defaults to model on dataset.")
    attributes = AttributeField(
        queryset=None, label="Protected attributes", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all of the dataset's.",
    )  # fmt: skip
    intersections = forms.MultipleChoiceField(
        label="Intersections", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Audit the groups two attributes make together (e.g. women under 25). Both attributes must be "
        "among those audited.",
    )  # fmt: skip
    estimate_race = forms.BooleanField(
        label="Estimate race from proxies (race was not recorded)", required=False,
        help_text="BISG from surname and ZIP code, BIFSG with a first name too, using the 2010 census tables. "
        "Every number of this attribute is labelled estimated from proxies.",
    )  # fmt: skip
    surname_column = forms.CharField(label="Surname column", required=False, max_length=255)
    zip_column = forms.CharField(label="ZIP code column (BISG)", required=False, max_length=255)
    first_name_column = forms.CharField(
        label="First-name column (BIFSG)", required=False, max_length=255, help_text="Needs the ZIP code column."
    )
    estimate_reference = forms.ChoiceField(
        label="Reference group of the estimate", required=False,
        choices=[("", "Highest selection rate")] + [(g, g) for g in ESTIMATED_RACE_GROUPS],
    )  # fmt: skip
    metrics = forms.MultipleChoiceField(
        label="Metrics", choices=metric_choices, widget=forms.CheckboxSelectMultiple, required=False,
        initial=[m.id for m in METRICS], help_text="None ticked: all.",
    )  # fmt: skip
    probes = forms.MultipleChoiceField(
        label="Probes", choices=[(p, PROBE_LABELS.get(p, p)) for p in PROBES], required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    lexicons = forms.MultipleChoiceField(
        label="Word lists (text probe)", required=False, widget=forms.CheckboxSelectMultiple,
        initial=list(PROBE_DEFAULTS.lexicons),
        help_text="The group words the text probe swaps, one probe per list. None ticked: the default list.",
    )  # fmt: skip
    max_rows = forms.IntegerField(
        label="Rows probed at most (tabular and text probes)", initial=PROBE_DEFAULTS.max_rows, required=False,
        help_text="A seeded sample of this many rows is probed; fewer rows run faster with wider intervals.",
    )  # fmt: skip
    attributions = forms.BooleanField(
        label="Explain probe findings with attributions (slower)", required=False, initial=PROBE_DEFAULTS.attributions
    )
    attribution_budget = forms.IntegerField(
        label="Pairs explained per finding (attributions)", initial=PROBE_DEFAULTS.attribution_budget, required=False,
        help_text="How many changed decisions get word or feature attributions.",
    )  # fmt: skip
    attribution_black_box = forms.ChoiceField(
        label="Attribution method for models that expose only scores (attributions)",
        choices=[(m, BLACK_BOX_LABELS.get(m, m)) for m in ATTRIBUTION_METHODS], widget=forms.RadioSelect,
        initial=PROBE_DEFAULTS.attribution_black_box, required=False,
    )  # fmt: skip
    global_explanations = forms.BooleanField(
        label="Global explanations: what the model learned overall, per group (slower)", required=False,
        initial=PROBE_DEFAULTS.global_explanations,
        help_text="Clusters of a transformers model's hidden activations and its attention to protected words; "
        "SHAP importance per group and partial dependence for a tabular model.",
    )  # fmt: skip
    explanation_quality = forms.BooleanField(
        label="Explanation quality: stability and consistency of the attributions (slower)", required=False,
        initial=PROBE_DEFAULTS.explanation_quality,
        help_text="Explains texts again after rewrites that keep their meaning, and compares two methods.",
    )  # fmt: skip
    max_pairs = _optional_count("Pairs sampled (CrowS-Pairs)", "Empty: every pair of the benchmark.")
    max_items = _optional_count(
        "Items sampled (BBQ)", "Empty: every item. A sample takes equal shares of each category and context."
    )
    n_permutations = forms.IntegerField(
        label="Permutations per test (WEAT)", initial=PROBE_DEFAULTS.n_permutations, required=False,
        help_text="Random partitions of the permutation test behind each p-value.",
    )  # fmt: skip
    max_templates = _optional_count("Templates sampled (discrim-eval)", "Empty: every template of the benchmark.")
    n_boot = forms.IntegerField(label="Bootstrap replicates (B)", initial=PLAN_DEFAULTS.n_boot)
    alpha = forms.FloatField(label="Significance level (alpha)", initial=PLAN_DEFAULTS.alpha)
    min_group_size = forms.IntegerField(label="Minimum group size", initial=PLAN_DEFAULTS.min_group_size)
    min_denominator = forms.IntegerField(
        label="Minimum denominator", initial=PLAN_DEFAULTS.min_denominator,
        help_text="Fewest people a rate may be computed on (e.g. favourable outcomes in a group).",
    )  # fmt: skip
    seed = forms.IntegerField(label="Random seed", initial=PLAN_DEFAULTS.seed)
    reaudit_on_new_version = forms.BooleanField(
        required=False,
        label="Re-audit on a new version",
        help_text="When a new version of this model or dataset is registered under the same name, audit it again "
        "with these settings (a new plan that names this one as its predecessor).",
    )
    regression_tolerance = forms.FloatField(
        label="Regression tolerance", initial=PLAN_DEFAULTS.regression_tolerance, required=False,
        help_text="After a report of this plan is approved, later runs list a metric as a regression when it moves "
        "away from parity by more than this (in its own units), beyond bootstrap noise.",
    )  # fmt: skip

    verdict_error_control = forms.ChoiceField(
        label="Verdicts hold", choices=VerdictErrorControl.choices, initial=PLAN_DEFAULTS.verdict_error_control,
        required=False,
        help_text="Family-wise: every pass and fail of the audit holds jointly at 1 − alpha (simultaneous intervals), "
        "so many groups do not produce chance fails. Per comparison: each verdict on its own.",
    )  # fmt: skip

    checks = forms.CharField(
        label="Checks you state (one per line)", required=False, max_length=6000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "selection_rate(sex=female) >= 0.5"}),
        help_text="Each line is judged in every run with a bootstrap interval: pass, fail or inconclusive. Rates of "
        "groups (selection_rate, true_positive_rate, false_positive_rate) compare with a number or another group of "
        "the same attribute; mean_delta / mean_abs_delta(he -> she) or (sex=female -> male) measure a swap. "
        "The README lists the grammar.",
    )  # fmt: skip

    outcome_type = forms.ChoiceField(
        label="Kind of scores and outcomes",
        choices=[("", "As declared with the dataset"), *OutcomeType.choices],
        required=False,
        help_text="Continuous audits the dataset's score column as a continuous score: difference and ratio of group "
        "means, scoring rates above the overall median with impact ratios (NYC LL144), Kolmogorov-Smirnov and "
        "Wasserstein distances, and with a numeric outcome each group's MAE and RMSE. Metrics that need a "
        "favourable outcome are then reported as not computable.",
    )
    rank_column = forms.CharField(
        label="Rank column",
        required=False,
        help_text="Positions, 1 = top: adds each group's exposure (1 / log2(1 + rank)) against the reference group's "
        "and its share of the top k against its share of all rows. Defaults to the dataset's.",
    )
    rank_query_column = forms.CharField(
        label="Query column",
        required=False,
        help_text="The id of each ranked list: exposure is averaged per list and intervals resample whole lists.",
    )
    top_k = forms.IntegerField(label="k of the top-k share", initial=DEFAULT_TOP_K, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = selectors.model_list(user=user).order_by("-created_at")
        self.fields["dataset"].queryset = selectors.dataset_list(user=user).order_by("-created_at")
        self.fields["attributes"].queryset = selectors.protected_attribute_list(user=user).order_by("name")
        workspace_lexicons = sorted(set(selectors.lexicon_list(user=user).values_list("name", flat=True)))
        self.fields["lexicons"].choices = [(n, n.replace("_", " ")) for n in BUILTIN_LEXICONS] + [
            (n, f"{n} (this workspace)") for n in workspace_lexicons if n not in BUILTIN_LEXICONS
        ]
        self.fields["intersections"].choices = self._pairs(self.fields["attributes"].queryset)
        for metric in METRICS:
            low, high = band_field_names(metric.id)
            self.fields[low] = forms.FloatField(
                label=f"{metric.name}: passes from", initial=metric.band_low, required=False
            )
            self.fields[high] = forms.FloatField(
                label=f"{metric.name}: passes up to", initial=metric.band_high, required=False
            )
        self.settings_shown: set[str] = set()
        self.explanations_shown = False
        refresh = {"hx-get": reverse_lazy("frontend:plan-new"), "hx-target": "#plan-options", "hx-trigger": "change",
                   "hx-include": "closest form"}  # fmt: skip
        for name in ("model", "dataset"):
            self.fields[name].widget.attrs.update(refresh)

    @staticmethod
    def _pairs(attributes) -> list[tuple[str, str]]:
        names = sorted({a.name for a in attributes})
        return [(f"{a}{SEPARATOR}{b}", f"{a} × {b}") for i, a in enumerate(names) for b in names[i + 1 :]]

    def metric_rows(self) -> list[tuple]:
        """Each metric's checkbox, the sentence explaining its band, and its band's low and high inputs."""
        explanations = metric_explanations()
        rows = []
        for choice in self["metrics"]:
            low, high = band_field_names(choice.data["value"])
            rows.append((choice, explanations.get(choice.data["value"], ""), self[low], self[high]))
        return rows

    def band_fields(self):
        return [self[name] for metric in METRICS for name in band_field_names(metric.id)]

    def setting_fields(self):
        """The probe settings that matter for the probes the chosen model can take, in the order shown."""
        return [self[name] for name in SETTING_PROBES if name in self.settings_shown and name != "attributions"]

    def explanation_fields(self):
        return [self[name] for name in EXPLANATION_STAGES]

    def statistics_fields(self):
        return [self[name] for name in STATISTICS]

    def estimate_fields(self):
        return [self[name] for name in ESTIMATE_FIELDS]

    def _estimated(self) -> list[dict]:
        data = self.cleaned_data
        if not data.get("estimate_race"):
            return []
        return [
            {
                "estimate": "race",
                "surname_column": data["surname_column"].strip(),
                "zip_column": data["zip_column"].strip(),
                "first_name_column": data["first_name_column"].strip(),
                "reference_group": data["estimate_reference"],
            }
        ]

    def limit_to(self, *, model, dataset) -> None:
        """Offer only the chosen dataset's attributes (and their pairs), the probes the chosen model's kind can take
        and the settings those probes read."""
        dataset = dataset or (model.dataset if model is not None else None)
        attributes = self.fields["attributes"].queryset
        self.fields["attributes"].queryset = attributes.filter(dataset=dataset) if dataset else attributes.none()
        self.fields["intersections"].choices = self._pairs(self.fields["attributes"].queryset)
        allowed = PROBES_BY_KIND.get(model.kind, ()) if model is not None else ()
        self.fields["probes"].choices = [(p, PROBE_LABELS.get(p, p)) for p in PROBES if p in allowed]
        self.settings_shown = {name for name, probes in SETTING_PROBES.items() if set(probes) & set(allowed)}
        # The optional explanation stages explain a model on a dataset (issue 16): not decisions in a column.
        self.explanations_shown = model is not None and model.kind in EXPLAINED_KINDS

    def show_error(self, exc: ApplicationError) -> None:
        """The service's error next to its input: a probe setting's own field, a metric's band, or the field named."""
        if exc.field == "probe_settings" and exc.extra.get("setting") in self.fields:
            self.add_error(exc.extra["setting"], exc.message)
        elif exc.field == "bands" and exc.extra.get("metric"):
            metric = exc.extra["metric"]
            names = {m.id: m.name for m in METRICS}
            message = exc.message.replace(f"'{metric}'", names.get(metric, metric))  # the name the page shows
            self.add_error(band_field_names(metric)[0], message)
        else:
            show_service_error(self, exc, aliases={"estimated_attributes": "estimate_race"})

    def _bands(self) -> dict:
        """The bands changed from their defaults (an unchanged or emptied end is the metric definition's)."""
        bands = {}
        for metric in METRICS:
            low, high = (self.cleaned_data.get(name) for name in band_field_names(metric.id))
            low = metric.band_low if low is None else low
            high = metric.band_high if high is None else high
            if (low, high) != (metric.band_low, metric.band_high):
                bands[metric.id] = [low, high]
        return bands

    def _probe_settings(self) -> dict:
        """The settings read by the chosen probes; an emptied one keeps its default (the service fills it in)."""
        data, chosen = self.cleaned_data, set(self.cleaned_data["probes"])
        return {
            name: data[name]
            for name, probes in SETTING_PROBES.items()
            if chosen & set(probes) and data.get(name) not in (None, "", [])
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        model, dataset = data["model"], data["dataset"]
        if dataset is None and model.dataset_id is not None:
            dataset = model.dataset  # decisions in a column: the plan audits that dataset
        arguments = {
            "model": model,
            "dataset": dataset,
            "name": data["name"],
            "attributes": list(data["attributes"]),
            "metrics": data["metrics"] or None,
            "probes": data["probes"],
            "reaudit_on_new_version": data["reaudit_on_new_version"],
            # An emptied setting keeps the platform's default (the service's own).
            **{name: data[name] for name in STATISTICS if data[name] not in (None, "")},
        }
        arguments.update(
            outcome_type=data["outcome_type"] or "",
            rank_column=data["rank_column"],
            rank_query_column=data["rank_query_column"],
            top_k=DEFAULT_TOP_K if data["top_k"] is None else data["top_k"],
        )
        if data["intersections"]:
            arguments["intersections"] = [choice.split(SEPARATOR) for choice in data["intersections"]]
        if self._estimated():
            arguments["estimated_attributes"] = self._estimated()
        bands = self._bands()
        if bands:
            arguments["bands"] = bands
        stages = {name: True for name in EXPLANATION_STAGES if data.get(name)}
        if data["probes"] or stages:
            arguments["probe_settings"] = {**self._probe_settings(), **stages}
        checks = [line.strip() for line in (data.get("checks") or "").splitlines() if line.strip()]
        if checks:
            arguments["checks"] = checks
        return arguments
