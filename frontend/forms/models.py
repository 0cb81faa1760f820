"""Register model: a file, a server folder, a built-in model or decisions in a dataset column (model_register)."""

from django import forms

from audits import selectors
from audits.choices import ModelKind
from audits.execution.builtins import BUILTINS
from audits.services.models import DecisionColumn, ModelBuiltin, ModelFile, ModelServerPath

from ._common import DatasetField, _WorkspaceForm, split_values

MODEL_SOURCES = [
    ("file", "A file: a skops model (.skops) or a zipped Hugging Face folder"),
    ("path", "A Hugging Face folder on the server"),
    ("builtin", "A built-in model"),
    ("decisions", "Decisions already in a dataset column"),
]


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
