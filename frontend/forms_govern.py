"""Forms of the governance pages (Compare, Trail, workspace settings, API tokens). They only parse input: the
services and selectors decide, and a service's error lands on the field it names."""

from django import forms
from django.conf import settings

from audits import selectors
from audits.choices import EventAction, EventObjectType, Role, TokenScope


def report_label(report) -> str:
    plan = report.run.plan
    return f"#{report.pk} · {plan.name} · model {plan.model.name} · {report.created_at:%Y-%m-%d %H:%M}"


class ReportField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return report_label(obj)


class CompareForm(forms.Form):
    """Two reports: the one to read (B) and its baseline (A)."""

    b = ReportField(queryset=None, label="Report", help_text="The report to read (B).")
    a = ReportField(
        queryset=None,
        label="Compare with (baseline)",
        help_text="An earlier or other report of the same model or plan (A). Deltas read B minus A.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        reports = selectors.audit_report_list(user=user).select_related("run__plan__model").order_by("-created_at")
        self.fields["b"].queryset = reports
        self.fields["a"].queryset = reports

    def limit_baselines(self, comparable) -> None:
        """Offer as A only the reports report_compare accepts for the chosen B."""
        self.fields["a"].queryset = comparable.select_related("run__plan__model")


class TrailFilterForm(forms.Form):
    """The trail's filters; every one is optional."""

    workspace = forms.ModelChoiceField(queryset=None, required=False, label="Workspace", empty_label="All workspaces")
    object_type = forms.ChoiceField(required=False, label="Object")
    actor = forms.ChoiceField(required=False, label="Actor")
    action = forms.ChoiceField(required=False, label="Action")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workspace"].queryset = selectors.workspace_list(user=user).order_by("name")
        self.fields["workspace"].label_from_instance = lambda w: w.name
        self.fields["object_type"].choices = [("", "Any object"), *EventObjectType.choices]
        self.fields["action"].choices = [("", "Any action"), *EventAction.choices]
        actors = selectors.audit_event_list(user=user).order_by().values_list("actor_label", flat=True).distinct()
        self.fields["actor"].choices = [("", "Anyone"), *((a, a) for a in sorted(actors))]


class MemberAddForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150, help_text="An existing user of the platform.")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.VIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class TokenCreateForm(forms.Form):
    """A new API token: what it is for, what it may do, how long it lives."""

    name = forms.CharField(
        label="Name", max_length=100, required=False, help_text="What uses it, e.g. 'GRC nightly pull'."
    )
    scope = forms.ChoiceField(
        label="Scope",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text="Read only: reports, exports, runs and the trail; refused for anything that changes data. "
        "Full: everything your roles allow, as you.",
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        max_value=settings.AUDIT_TOKEN_MAX_TTL_DAYS,
        initial=settings.AUDIT_TOKEN_TTL_DAYS,
    )
