"""What the forms share: comma-separated lists, service errors next to their field, the workspace choice."""

from django import forms

from audits import selectors
from audits.exceptions import ApplicationError


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


class DatasetField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.n_rows} rows, {obj.workspace.name})"
