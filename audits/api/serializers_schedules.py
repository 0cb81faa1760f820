"""Schedules and versions: explicit serializers; the rules (cron, time zone, minimum interval) are the services'."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits import selectors
from audits.choices import ScheduleKind
from audits.models import AuditSchedule


class AuditScheduleSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    plan_name = serializers.CharField(source="plan.name", read_only=True)
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    rule = serializers.SerializerMethodField(help_text="The rule in words, with its time zone.")
    next_run_at = serializers.SerializerMethodField(help_text="When beat fires it next; null while paused.")

    class Meta:
        model = AuditSchedule
        fields = [
            "id", "workspace", "plan", "plan_name", "kind", "cron", "every_seconds", "timezone", "enabled", "rule",
            "next_run_at", "last_fired_at", "last_run", "last_skip_reason", "owner", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_rule(self, schedule) -> str:
        return selectors.schedule_rule_words(schedule=schedule)

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_next_run_at(self, schedule) -> str | None:
        moment = selectors.schedule_next_run(schedule=schedule)
        return serializers.DateTimeField().to_representation(moment) if moment else None


class AuditScheduleInputSerializer(serializers.Serializer):
    """Create or change a schedule. PATCH may leave out what stays as it is."""

    plan = serializers.IntegerField(help_text="The plan to run (one of your workspaces').")
    kind = serializers.ChoiceField(choices=ScheduleKind.choices)
    cron = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="kind=cron: five fields, minute hour day-of-month month day-of-week, e.g. '0 6 * * 1'.",
    )
    every_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=f"kind=interval: seconds between runs, at least AUDIT_SCHEDULE_MIN_INTERVAL_SECONDS "
        f"({settings.AUDIT_SCHEDULE_MIN_INTERVAL_SECONDS} here).",
    )
    timezone = serializers.CharField(
        required=False, default="UTC", max_length=64, help_text="IANA time zone of the rule, e.g. Europe/Berlin."
    )
    enabled = serializers.BooleanField(required=False, default=True, help_text="Create paused with false.")


class VersionSerializer(serializers.Serializer):
    """One version of a model's or dataset's name."""

    id = serializers.IntegerField()
    version = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()
