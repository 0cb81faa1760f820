"""Upload dataset: the file and the roles of its columns (dataset_create)."""

from django import forms
from django.urls import reverse_lazy

from audits.choices import MissingPolicy, OutcomeType
from audits.exceptions import ApplicationError

from ._common import _WorkspaceForm, split_values


class DatasetUploadForm(_WorkspaceForm):
    SECTIONS = (
        ("File", ("workspace", "file", "name")),
        ("Decisions and outcomes", ("decision_column", "decision_favourable", "outcome_column", "outcome_favourable")),
        ("Protected attributes", ("protected", "reference", "missing_policy", "proxy_columns")),
        ("Optional: scores and text", ("score_column", "score_higher_is_favourable", "text_column")),
        ("Optional: continuous scores and rankings", ("outcome_type", "rank_column", "rank_query_column")),
    )
    PREVIEW_AFTER = "File"  # the chosen file's columns and group sizes appear in this section (htmx)
    file = forms.FileField(
        label="File (CSV or Parquet)",
        help_text="Once chosen, its columns and each group's size are shown below, before anything is stored.",
        widget=forms.ClearableFileInput(
            attrs={
                "hx-post": reverse_lazy("frontend:dataset-upload-preview"),
                "hx-trigger": "change",
                "hx-target": "#file-preview",
                "hx-swap": "innerHTML",
                "hx-encoding": "multipart/form-data",
            }
        ),
    )
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
        label="Protected attributes",
        required=False,
        help_text="Column names, comma-separated, e.g. sex, age_band. Leave empty when race was never recorded "
        "and proxy columns estimate it.",
    )
    proxy_columns = forms.CharField(
        label="Proxy columns (race never recorded)",
        required=False,
        help_text="Surname, ZIP and first-name columns, comma-separated, e.g. surname, zip: a plan can then "
        "estimate race from them (BISG / BIFSG).",
    )
    reference = forms.CharField(
        label="Reference groups",
        required=False,
        help_text=(
            "Optional, column=group comma-separated, e.g. sex=male. Without one, the group with the highest "
            "selection rate (among groups of the minimum size) is used."
        ),
    )
    missing_policy = forms.ChoiceField(
        label="Missing values", choices=MissingPolicy.choices, initial=MissingPolicy.DROP_ROWS
    )
    outcome_type = forms.ChoiceField(
        label="Kind of scores and outcomes",
        choices=OutcomeType.choices,
        initial=OutcomeType.BINARY,
        required=False,
        help_text="Continuous: the score column is a continuous score (e.g. a predicted salary or a risk score) and "
        "the outcome column, if any, holds numbers (the true value). No decision column is needed: the audit "
        "compares group means, scoring rates above the median (NYC LL144), score distributions and group errors.",
    )
    rank_column = forms.CharField(
        label="Rank column",
        required=False,
        help_text="Positions in a ranking, 1 = top (e.g. the search position). Audits each group's exposure and "
        "share of the top k; no decision column is needed.",
    )
    rank_query_column = forms.CharField(
        label="Query column",
        required=False,
        help_text="Optional: the id of each ranked list (e.g. the search query); exposure is averaged per list.",
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
            "outcome_type": data["outcome_type"] or OutcomeType.BINARY,
            "rank_column": data["rank_column"],
            "rank_query_column": data["rank_query_column"],
            "proxy_columns": split_values(data["proxy_columns"]),
        }
