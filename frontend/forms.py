"""Forms of the pages. They only parse input; every rule is the service's, and its errors land on these fields.

Field names equal the `field` an ApplicationError names (decision_column, protected, reference, favourable...),
so a service error is shown next to the input at fault.
"""

from django import forms
from django.urls import reverse_lazy

from audits import selectors
from audits.choices import MissingPolicy, ModelKind
from audits.constants import METRICS, PLAN_DEFAULTS
from audits.exceptions import ApplicationError
from audits.execution.builtins import BUILTINS
from audits.execution.probes import PROBES
from audits.services.models import DecisionColumn, ModelBuiltin, ModelFile, ModelServerPath
from audits.services.plans import PROBES_BY_KIND

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
    "weat": "WEAT: associations between group words and attribute words in the encoder",
    "discrim_eval": "Discrim-eval: the model's yes/no decisions across demographic variations",
}


def metric_choices() -> list[tuple[str, str]]:
    return [(m.id, m.name) for m in METRICS]


def metric_explanations() -> dict[str, str]:
    fallback = "Passes between {low} and {high}."
    return {m.id: METRIC_SENTENCES.get(m.id, fallback).format(low=m.band_low, high=m.band_high) for m in METRICS}


def split_values(text: str) -> list[str]:
    """ "a, b" -> ["a", "b"]: the lists the pages take as comma-separated text."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def show_service_error(form: forms.Form, exc: ApplicationError, aliases: dict | None = None) -> None:
    """Put the service's message next to the field it names, or above the form when no field of it matches."""
    field = (aliases or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


class WorkspaceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class _WorkspaceForm(forms.Form):
    """The workspace is asked only when the user belongs to several (a hidden input otherwise)."""

    SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        workspaces = selectors.workspace_list(user=user).order_by("name")
        self.fields["workspace"] = WorkspaceField(queryset=workspaces, label="Workspace", empty_label=None)
        self.only_workspace = workspaces.first() if workspaces.count() == 1 else None
        if self.only_workspace is not None:
            self.fields["workspace"].widget = forms.HiddenInput()
            self.fields["workspace"].initial = self.only_workspace.pk
            self.fields["workspace"].required = False

    def clean_workspace(self):
        return self.cleaned_data.get("workspace") or self.only_workspace

    def sections(self) -> list[tuple[str, list]]:
        """The visible fields grouped under a legend each, in the order the page shows them."""
        return [(legend, [self[n] for n in names if not self[n].is_hidden]) for legend, names in self.SECTIONS]


class DatasetUploadForm(_WorkspaceForm):
    SECTIONS = (
        ("File", ("workspace", "file", "name")),
        ("Decisions and outcomes", ("decision_column", "decision_favourable", "outcome_column", "outcome_favourable")),
        ("Protected attributes", ("protected", "reference", "missing_policy")),
        ("Optional: scores and text", ("score_column", "score_higher_is_favourable", "text_column")),
    )
    file = forms.FileField(label="File (CSV or Parquet)")
    name = forms.CharField(label="Name", max_length=200, required=False, help_text="Defaults to the file name.")
    decision_column = forms.CharField(
        label="Decision column", required=False, help_text="The column holding the decisions to audit (e.g. decision)."
    )
    decision_favourable = forms.CharField(
        label="Favourable decision value", required=False, help_text="Comma-separated, e.g. approve."
    )
    outcome_column = forms.CharField(
        label="Outcome column", required=False, help_text="What actually happened (e.g. repaid); optional."
    )
    outcome_favourable = forms.CharField(label="Favourable outcome value", required=False, help_text="e.g. 1.")
    score_column = forms.CharField(label="Score column", required=False, help_text="A numeric score; optional.")
    score_higher_is_favourable = forms.BooleanField(label="A higher score is favourable", required=False, initial=True)
    text_column = forms.CharField(label="Text column", required=False, help_text="For text models; optional.")
    protected = forms.CharField(
        label="Protected attributes", help_text="Column names, comma-separated, e.g. sex, age_band."
    )
    reference = forms.CharField(
        label="Reference groups",
        required=False,
        help_text="Optional, column=group comma-separated, e.g. sex=male. Without one, the largest group is used.",
    )
    missing_policy = forms.ChoiceField(
        label="Missing values", choices=MissingPolicy.choices, initial=MissingPolicy.DROP_ROWS
    )

    def clean_reference(self) -> dict[str, str]:
        pairs = {}
        for item in split_values(self.cleaned_data["reference"]):
            column, sep, group = item.partition("=")
            if not sep or not column.strip() or not group.strip():
                raise forms.ValidationError(f"Write each reference group as column=group; got '{item}'.")
            pairs[column.strip()] = group.strip()
        return pairs

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        protected = split_values(data["protected"])
        references = data["reference"]
        unknown = [c for c in references if c not in protected]
        if unknown:
            raise ApplicationError(
                f"Reference groups name columns that are not protected attributes: {', '.join(unknown)}.",
                field="reference",
            )
        return {
            "workspace": data["workspace"],
            "name": data["name"],
            "upload": data["file"],
            "protected": [(column, references.get(column, "")) for column in protected],
            "decision_column": data["decision_column"],
            "decision_favourable": split_values(data["decision_favourable"]),
            "outcome_column": data["outcome_column"],
            "outcome_favourable": split_values(data["outcome_favourable"]),
            "score_column": data["score_column"],
            "score_higher_is_favourable": data["score_higher_is_favourable"],
            "text_column": data["text_column"],
            "missing_policy": data["missing_policy"],
        }


MODEL_SOURCES = [
    ("file", "A file: a skops model (.skops) or a zipped Hugging Face folder"),
    ("path", "A Hugging Face folder on the server"),
    ("builtin", "A built-in model"),
    ("decisions", "Decisions already in a dataset column"),
]


class DatasetField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.n_rows} rows, {obj.workspace.name})"


class ModelRegisterForm(_WorkspaceForm):
    SECTIONS = (
        ("Where the model comes from", ("workspace", "source", "name")),
        ("Only for a file, a server folder or a built-in model", ("file", "path", "kind", "builtin")),
        ("Only for decisions in a dataset column", ("decision_column",)),
        ("For every source", ("dataset", "favourable", "text_column")),
    )
    source = forms.ChoiceField(label="Source", choices=MODEL_SOURCES, widget=forms.RadioSelect, initial="file")
    name = forms.CharField(label="Name", max_length=200, required=False)
    file = forms.FileField(label="Model file", required=False, help_text="Pickle files are refused: use skops.")
    path = forms.CharField(label="Server path", required=False, help_text="A folder under the allowed model roots.")
    builtin = forms.ChoiceField(label="Built-in model", required=False)
    kind = forms.ChoiceField(
        label="Kind of Hugging Face model",
        required=False,
        choices=[("", "Detect from the folder")]
        + [(k, label) for k, label in ModelKind.choices if k.startswith("hf_")],
    )
    dataset = DatasetField(
        queryset=None, label="Dataset", required=False,
        help_text="Holds the decisions column; for other sources, the model is smoke-tested on it.",
    )  # fmt: skip
    decision_column = forms.CharField(label="Decision column", required=False)
    favourable = forms.CharField(
        label="Favourable class",
        required=False,
        help_text="The class (or, for a decisions column, comma-separated values) that is good for the person.",
    )
    text_column = forms.CharField(label="Text column", required=False, help_text="For a model that reads text.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["dataset"].queryset = selectors.dataset_list(user=user).order_by("-created_at")
        self.fields["builtin"].choices = [("", "—")] + [
            (b.name, f"{b.name}: {b.description}") for b in BUILTINS.values()
        ]
        self.fields["workspace"].required = False

    def clean(self):
        data = super().clean()
        source = data.get("source")
        needed = {"file": "file", "path": "path", "builtin": "builtin", "decisions": "decision_column"}.get(source)
        if needed and not data.get(needed):
            self.add_error(needed, "This source needs this field.")
        if source == "decisions" and not data.get("dataset"):
            self.add_error("dataset", "Choose the dataset that holds the decisions.")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        source = {
            "file": lambda: ModelFile(data["file"]),
            "path": lambda: ModelServerPath(data["path"]),
            "builtin": lambda: ModelBuiltin(data["builtin"]),
            "decisions": lambda: DecisionColumn(data["decision_column"]),
        }[data["source"]]()
        arguments = {
            "source": source,
            "workspace": None if data["dataset"] else data["workspace"],
            "dataset": data["dataset"],
            "favourable": split_values(data["favourable"]),
            "name": data["name"],
            "text_column": data["text_column"],
        }
        if data["source"] in ("file", "path"):
            arguments["kind"] = data["kind"]
        return arguments


class ModelField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_kind_display()}, {obj.workspace.name})"


class AttributeField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        groups = ", ".join(str(g) for g in obj.groups[:8]) + (", ..." if len(obj.groups) > 8 else "")
        return f"{obj.name} (groups: {groups})"


class PlanForm(forms.Form):
    """The plan builder. Attributes and probes offered depend on the chosen dataset and model (see options())."""

    model = ModelField(queryset=None, label="Model")
    dataset = DatasetField(queryset=None, label="Dataset", required=False)
    name = forms.CharField(label="Plan name", max_length=200, required=False, help_text="Defaults to model on dataset.")
    attributes = AttributeField(
        queryset=None, label="Protected attributes", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: all of the dataset's.",
    )  # fmt: skip
    metrics = forms.MultipleChoiceField(
        label="Metrics", choices=metric_choices, widget=forms.CheckboxSelectMultiple, required=False,
        initial=[m.id for m in METRICS], help_text="None ticked: all.",
    )  # fmt: skip
    probes = forms.MultipleChoiceField(
        label="Probes", choices=[(p, PROBE_LABELS.get(p, p)) for p in PROBES], required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    attributions = forms.BooleanField(
        label="Explain probe findings with attributions (slower)", required=False, initial=False
    )
    n_boot = forms.IntegerField(label="Bootstrap replicates (B)", initial=PLAN_DEFAULTS.n_boot)
    alpha = forms.FloatField(label="Significance level (alpha)", initial=PLAN_DEFAULTS.alpha)
    min_group_size = forms.IntegerField(label="Minimum group size", initial=PLAN_DEFAULTS.min_group_size)
    min_denominator = forms.IntegerField(
        label="Minimum denominator", initial=PLAN_DEFAULTS.min_denominator,
        help_text="Fewest people a rate may be computed on (e.g. favourable outcomes in a group).",
    )  # fmt: skip
    seed = forms.IntegerField(label="Random seed", initial=PLAN_DEFAULTS.seed)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].queryset = selectors.model_list(user=user).order_by("-created_at")
        self.fields["dataset"].queryset = selectors.dataset_list(user=user).order_by("-created_at")
        self.fields["attributes"].queryset = selectors.protected_attribute_list(user=user).order_by("name")
        refresh = {"hx-get": reverse_lazy("frontend:plan-new"), "hx-target": "#plan-options", "hx-trigger": "change",
                   "hx-include": "closest form"}  # fmt: skip
        for name in ("model", "dataset"):
            self.fields[name].widget.attrs.update(refresh)

    def metric_rows(self) -> list[tuple]:
        """Each metric's checkbox with the sentence explaining its band."""
        explanations = metric_explanations()
        return [(choice, explanations.get(choice.data["value"], "")) for choice in self["metrics"]]

    def limit_to(self, *, model, dataset) -> None:
        """Offer only the chosen dataset's attributes and the probes the chosen model's kind can take."""
        dataset = dataset or (model.dataset if model is not None else None)
        attributes = self.fields["attributes"].queryset
        self.fields["attributes"].queryset = attributes.filter(dataset=dataset) if dataset else attributes.none()
        allowed = PROBES_BY_KIND.get(model.kind, ()) if model is not None else ()
        self.fields["probes"].choices = [(p, PROBE_LABELS.get(p, p)) for p in PROBES if p in allowed]

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
            "n_boot": data["n_boot"],
            "alpha": data["alpha"],
            "min_group_size": data["min_group_size"],
            "min_denominator": data["min_denominator"],
            "seed": data["seed"],
        }
        if data["probes"]:
            arguments["probe_settings"] = {"attributions": data["attributions"]}
        return arguments
