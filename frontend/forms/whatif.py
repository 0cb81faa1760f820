"""The what-if form of a model: a text and a lexicon, or a tabular row (dataset, row, protected attribute, values)."""

from django import forms


class WhatIfForm(forms.Form):
    """Built for one model: ``kind`` "text" or "tabular", the choices the page offers, and the row's columns."""

    def __init__(self, *args, kind: str, lexicons=(), datasets=(), attributes=(), columns=(), reports=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.columns = list(columns)
        if kind == "text":
            self.fields["text"] = forms.CharField(
                label="Text", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
            )
            self.fields["lexicon"] = forms.ChoiceField(
                label="Protected attribute (lexicon whose terms are swapped)", choices=[(n, n) for n in lexicons]
            )
        else:
            self.fields["dataset"] = forms.TypedChoiceField(
                label="Dataset the row comes from",
                coerce=int,
                choices=[(d.pk, f"{d.name} v{d.version}") for d in datasets],
            )
            self.fields["attribute"] = forms.ChoiceField(
                label="Protected attribute to vary", choices=[(a.column, a.name) for a in attributes]
            )
            for index, column in enumerate(self.columns):
                self.fields[f"value_{index}"] = forms.CharField(label=column, required=False, max_length=200)
        self.fields["previous_score"] = forms.FloatField(required=False, widget=forms.HiddenInput())
        self.fields["report"] = forms.TypedChoiceField(
            label="Report to attach it to", coerce=int, required=False,
            choices=[("", "choose a report")] + [(r.pk, f"report #{r.pk} · {r.run.plan.name}") for r in reports],
        )  # fmt: skip
        self.fields["note"] = forms.CharField(label="Note (optional)", required=False, max_length=500)

    def values(self) -> dict:
        """Column -> value of a tabular row (blank values left out: the service names what is missing)."""
        data = self.cleaned_data
        return {c: data[f"value_{i}"] for i, c in enumerate(self.columns) if data.get(f"value_{i}", "") != ""}

    def value_fields(self) -> list:
        return [self[f"value_{i}"] for i in range(len(self.columns))]
