"""Serializers of the governance endpoints: API tokens, the trail, and the report and run list items."""

from django.conf import settings
from django.contrib.auth import authenticate
from knox.models import AuthToken
from rest_framework import serializers

from audits.choices import TokenScope
from audits.models import ApiTokenScope, AuditEvent, AuditReport, AuditRun, ReportReview, ReportVerdictCounts
from audits.reports.verdict_counts import verdict_counts

from .filters import NOT_SUBMITTED
from .serializers import AuditReportSerializer, AuditRunSerializer


class TokenCreateInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=TokenScope.choices,
        default=TokenScope.FULL,
        help_text="full: acts as you; read: an integration token that can only read (403 on any change).",
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="What it is for.")
    expires_in_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=settings.AUDIT_TOKEN_MAX_TTL_DAYS,
        help_text=f"Lifetime in days (default {settings.AUDIT_TOKEN_TTL_DAYS}).",
    )


class TokenLoginInputSerializer(TokenCreateInputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"}, trim_whitespace=False)

    def validate(self, attrs):
        user = authenticate(self.context["request"], username=attrs["username"], password=attrs["password"])
        if user is None:
            raise serializers.ValidationError("Unable to log in with the username and password given.", code="invalid")
        attrs["user"] = user
        return attrs


class ApiTokenSerializer(serializers.ModelSerializer):
    """One API token as listed: never its key (only its public id, the key's first characters)."""

    id = serializers.CharField(source="token_key", read_only=True, help_text="Public id: the key's first characters.")
    name = serializers.SerializerMethodField()
    scope = serializers.SerializerMethodField()

    class Meta:
        model = AuthToken
        fields = ["id", "name", "scope", "created", "expiry"]
        read_only_fields = fields

    def _scope_row(self, token) -> ApiTokenScope | None:
        try:
            return token.platform_scope
        except ApiTokenScope.DoesNotExist:
            return None

    def get_name(self, token) -> str:
        row = self._scope_row(token)
        return row.name if row else ""

    def get_scope(self, token) -> str:
        row = self._scope_row(token)
        return row.scope if row else TokenScope.READ


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    """A token just created: the only response that carries its key."""

    token = serializers.SerializerMethodField(help_text="The key: shown once, send it as `Authorization: Token …`.")

    class Meta(ApiTokenSerializer.Meta):
        fields = ["token", *ApiTokenSerializer.Meta.fields]
        read_only_fields = fields

    def get_token(self, token) -> str:
        return self.context["key"]


def _verdict_counts(report: AuditReport) -> dict:
    try:
        return report.verdicts.counts
    except ReportVerdictCounts.DoesNotExist:  # a report stored without its counts row
        return verdict_counts(report.document)


def _review_state(report: AuditReport) -> str:
    try:
        return report.review.status
    except ReportReview.DoesNotExist:
        return NOT_SUBMITTED


class AuditReportListSerializer(AuditReportSerializer):
    """A report in the list: no document, but what a governance tool checks first."""

    plan = serializers.IntegerField(source="run.plan_id", read_only=True)
    model = serializers.IntegerField(source="run.plan.model_id", read_only=True)
    dataset = serializers.IntegerField(source="run.plan.dataset_id", read_only=True, allow_null=True)
    verdict_counts = serializers.SerializerMethodField(help_text="Findings (results and probes) by verdict.")
    review_state = serializers.SerializerMethodField(help_text="not_submitted, or the review's status.")

    class Meta(AuditReportSerializer.Meta):
        fields = [
            "id", "workspace", "run", "plan", "model", "dataset", "schema_version", "sha256", "created_at",
            "verdict_counts", "review_state",
        ]  # fmt: skip
        read_only_fields = fields

    def get_verdict_counts(self, report) -> dict[str, int]:
        return _verdict_counts(report)

    def get_review_state(self, report) -> str:
        return _review_state(report)


class AuditRunListSerializer(AuditRunSerializer):
    """A run with its report's verdict counts and review state (null until the run has a report)."""

    verdict_counts = serializers.SerializerMethodField(help_text="Its report's findings by verdict.")
    review_state = serializers.SerializerMethodField(help_text="Its report's review state.")

    class Meta(AuditRunSerializer.Meta):
        fields = [*AuditRunSerializer.Meta.fields, "verdict_counts", "review_state"]
        read_only_fields = fields

    def _report(self, run: AuditRun) -> AuditReport | None:
        return getattr(run, "report", None)  # a missing reverse one-to-one raises an AttributeError subclass

    def get_verdict_counts(self, run) -> dict[str, int] | None:
        report = self._report(run)
        return _verdict_counts(report) if report else None

    def get_review_state(self, run) -> str | None:
        report = self._report(run)
        return _review_state(report) if report else None


class AuditEventSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True, help_text="Username or worker/system label.")

    class Meta:
        model = AuditEvent
        fields = [
            "id", "created_at", "workspace", "actor", "action", "object_type", "object_id", "request_id", "task_id",
            "before", "after", "prev_hash", "hash",
        ]  # fmt: skip
        read_only_fields = fields
