"""List filters (django-filter) of reports, runs and the trail. Each list refuses a query parameter it does not
know with a 400 naming it, so that a misspelt filter never silently returns the whole list."""

import datetime

from django import forms
from django.db.models import Exists, OuterRef, Q
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from audits.choices import EventAction, EventObjectType, ReviewStatus, RunStatus
from audits.models import AuditEvent, AuditReport, AuditRun, ReviewEntry
from audits.selectors_dashboard import VERDICT_ORDER

from .pagination import MAX_DB_INT

NOT_SUBMITTED = "not_submitted"  # the review state of a report nobody submitted for review
REVIEW_STATES = [(NOT_SUBMITTED, "Not submitted"), *ReviewStatus.choices]
UNKNOWN_PARAMETER = "unknown_parameter"


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """An object id: a whole number that fits the database (a decimal or 2^63 answers 400, never a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DB_INT)
        super().__init__(*args, **kwargs)


class _UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 time taken to UTC before it reaches the database: an offset PostgreSQL cannot hold (+20:06) or a
    time that leaves the calendar once converted answers 400, never a 500."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("This time is out of range.", code="invalid") from None


@extend_schema_field(OpenApiTypes.DATETIME)
class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = _UtcIsoDateTimeField


class _WorkspaceFilterSet(filters.FilterSet):
    workspace = filters.CharFilter(field_name="workspace__slug", max_length=100, help_text="Workspace slug.")
    model = IdFilter(field_name="run__plan__model_id", help_text="Model id.")
    plan = IdFilter(field_name="run__plan_id", help_text="Audit plan id.")
    dataset = IdFilter(field_name="run__plan__dataset_id", help_text="Dataset id.")
    created_after = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after this time (ISO 8601)."
    )


class AuditReportFilter(_WorkspaceFilterSet):
    verdict = filters.ChoiceFilter(
        choices=[(v, v) for v in VERDICT_ORDER],
        method="filter_verdict",
        help_text="Reports with at least one finding (group-metric result or probe) of this verdict.",
    )
    review_state = filters.ChoiceFilter(
        choices=REVIEW_STATES, method="filter_review_state", help_text="The report's review state."
    )
    updated_since = UtcIsoDateTimeFilter(
        method="filter_updated_since",
        help_text="Created, or whose review moved or got a comment, at or after this time (ISO 8601).",
    )

    class Meta:
        model = AuditReport
        fields = []

    def filter_verdict(self, queryset, name, value):
        return queryset.filter(verdicts__counts__has_key=value)

    def filter_review_state(self, queryset, name, value):
        if value == NOT_SUBMITTED:
            return queryset.filter(review__isnull=True)
        return queryset.filter(review__status=value)

    def filter_updated_since(self, queryset, name, value):
        commented = ReviewEntry.objects.filter(review__report=OuterRef("pk"), created_at__gte=value)
        return queryset.filter(Q(created_at__gte=value) | Q(review__updated_at__gte=value) | Exists(commented))


class AuditRunFilter(_WorkspaceFilterSet):
    model = IdFilter(field_name="plan__model_id", help_text="Model id.")
    plan = IdFilter(field_name="plan_id", help_text="Audit plan id.")
    dataset = IdFilter(field_name="plan__dataset_id", help_text="Dataset id.")
    status = filters.ChoiceFilter(choices=RunStatus.choices, help_text="The run's status.")
    updated_since = UtcIsoDateTimeFilter(
        method="filter_updated_since",
        help_text="Queued, started, finished or with a heartbeat at or after this time (ISO 8601).",
    )

    class Meta:
        model = AuditRun
        fields = []

    def filter_updated_since(self, queryset, name, value):
        return queryset.filter(
            Q(created_at__gte=value) | Q(started_at__gte=value) | Q(finished_at__gte=value) | Q(heartbeat_at__gte=value)
        )


class AuditEventFilter(filters.FilterSet):
    workspace = filters.CharFilter(field_name="workspace__slug", max_length=100, help_text="Workspace slug.")
    object_type = filters.ChoiceFilter(choices=EventObjectType.choices, help_text="What the event is about.")
    object_id = filters.CharFilter(max_length=100, help_text="Id of the object (with object_type: one object).")
    actor = filters.CharFilter(
        field_name="actor_label", max_length=255, help_text="Username, or the worker/system label."
    )
    action = filters.ChoiceFilter(choices=EventAction.choices, help_text="The event's action, e.g. review.approve.")
    created_after = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="At or after this time (ISO 8601)."
    )
    created_before = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Before this time (ISO 8601)."
    )

    class Meta:
        model = AuditEvent
        fields = []


def _pagination_parameters(view) -> set[str]:
    paginator = getattr(view, "paginator", None)
    names = ("cursor_query_param", "page_size_query_param", "limit_query_param", "offset_query_param")
    return {getattr(paginator, name) for name in names if getattr(paginator, name, None)}


class StrictFilterBackend(filters.DjangoFilterBackend):
    """django-filter on the `list` action only (a detail or action URL is never narrowed by the list's filters);
    a query parameter that is neither a filter nor a pagination parameter answers 400 naming it."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", "list") != "list":
            return queryset
        filterset_class = self.get_filterset_class(view, queryset)
        known = set(filterset_class.base_filters) | _pagination_parameters(view)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            names = ", ".join(f"'{name[:40]}'" for name in unknown)
            raise ValidationError(
                [f"Unknown query parameter {names}: this list accepts {', '.join(sorted(known))}."],
                code=UNKNOWN_PARAMETER,
            )
        return super().filter_queryset(request, queryset, view)
