"""Schedule a plan: a cron expression or every N minutes/hours/days, in a time zone (schedule_create/_update)."""

from zoneinfo import available_timezones

from django import forms

from audits import selectors
from audits.choices import ScheduleKind
from audits.exceptions import ApplicationError

from ._common import show_service_error

UNITS = (("1", "seconds"), ("60", "minutes"), ("3600", "hours"), ("86400", "days"))
# A service error about every_seconds belongs next to the number of units.
ALIASES = {"every_seconds": "every"}


class PlanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        dataset = f" on {obj.dataset.name} v{obj.dataset.version}" if obj.dataset else ""
        return f"#{obj.pk} {obj.name}: model {obj.model.name} v{obj.model.version}{dataset} ({obj.workspace.name})"


class ScheduleForm(forms.Form):
    plan = PlanChoiceField(queryset=None, label="Plan", help_text="What to audit, with its settings.")
    kind = forms.ChoiceField(
        choices=((ScheduleKind.INTERVAL, "Every few minutes, hours or days"), (ScheduleKind.CRON, "A cron rule")),
        widget=forms.RadioSelect,
        initial=ScheduleKind.INTERVAL,
        label="Repeat",
    )
    every = forms.IntegerField(
        required=False,
        min_value=1,
        initial=1,
        label="Every",
        help_text="For “Every few minutes, hours or days”: how many units.",
    )
    unit = forms.ChoiceField(choices=UNITS, initial="86400", required=False, label="Unit")
    cron = forms.CharField(
        required=False,
        max_length=200,
        label="Cron rule",
        help_text="For “A cron rule”: five fields, minute hour day-of-month month day-of-week. "
        "'0 6 * * 1' runs Mondays at 06:00; '30 2 1 * *' the 1st of each month at 02:30.",
    )
    timezone = forms.CharField(
        initial="UTC",
        max_length=64,
        label="Time zone",
        help_text="An IANA name such as Europe/Berlin or America/New_York: the rule's times are read there.",
        widget=forms.TextInput(attrs={"list": "timezones", "autocomplete": "off"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writable = selectors.workspace_writable_list(user=user)
        self.fields["plan"].queryset = (
            selectors.audit_plan_list(user=user)
            .filter(workspace__in=writable, successor__isnull=True)
            .select_related("model", "dataset", "workspace")
            .order_by("-created_at")
        )

    @staticmethod
    def timezones() -> list[str]:
        return sorted(available_timezones())

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        kind = data["kind"]
        every = None
        if kind == ScheduleKind.INTERVAL:
            every = (data.get("every") or 0) * int(data.get("unit") or 1)
        return {
            "plan": data["plan"],
            "kind": kind,
            "cron": data.get("cron", "") if kind == ScheduleKind.CRON else "",
            "every_seconds": every,
            "timezone": data["timezone"],
        }

    def show_error(self, exc: ApplicationError) -> None:
        show_service_error(self, exc, ALIASES)

    @classmethod
    def initial_for(cls, schedule) -> dict:
        """The form's values for an existing schedule (an interval in the largest whole unit)."""
        initial = {
            "plan": schedule.plan_id,
            "kind": schedule.kind,
            "cron": schedule.cron,
            "timezone": schedule.timezone,
        }
        if schedule.kind == ScheduleKind.INTERVAL:
            seconds = schedule.every_seconds or 0
            unit = next((u for u, _ in reversed(UNITS) if seconds % int(u) == 0), None)
            initial |= {"every": seconds // int(unit), "unit": unit}
        return initial
