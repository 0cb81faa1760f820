"""Schedules: list, create, retrieve, change, delete, pause and resume; every write calls a schedules service."""

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audits import selectors
from audits.services.schedules import (
    schedule_create,
    schedule_delete,
    schedule_pause,
    schedule_resume,
    schedule_update,
)

from .schema_errors import LIMIT_OFFSET, document_pagination_errors
from .serializers_schedules import AuditScheduleInputSerializer, AuditScheduleSerializer
from .views import _scoped, request_id


@document_pagination_errors(*LIMIT_OFFSET)
class AuditScheduleViewSet(viewsets.ModelViewSet):
    """Plans re-audited on a cron rule or every N seconds, in an IANA time zone, fired by celery beat.

    Runs are requested on behalf of the schedule's owner (who created or last edited it). A period missed while
    beat was down is caught up once; a firing while a run of the plan is still queued or running is skipped, and
    every skip is in the trail (schedule.skipped)."""

    serializer_class = AuditScheduleSerializer
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.audit_schedule_list(user=self.request.user)

    def _plan(self, pk):
        return _scoped(selectors.audit_plan_list(user=self.request.user), pk, "plan")

    @extend_schema(request=AuditScheduleInputSerializer, responses={201: AuditScheduleSerializer})
    def create(self, request, *args, **kwargs):
        serializer = AuditScheduleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        schedule = schedule_create(
            actor=request.user,
            plan=self._plan(v["plan"]),
            kind=v["kind"],
            cron=v.get("cron", ""),
            every_seconds=v.get("every_seconds"),
            timezone=v["timezone"],
            enabled=v["enabled"],
            request_id=request_id(request),
        )
        return Response(AuditScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AuditScheduleInputSerializer, responses={200: AuditScheduleSerializer})
    def update(self, request, *args, **kwargs):
        schedule = self.get_object()
        data = request.data
        if kwargs.get("partial"):  # what PATCH leaves out stays as it is
            current = {
                "plan": schedule.plan_id, "kind": schedule.kind, "cron": schedule.cron,
                "every_seconds": schedule.every_seconds, "timezone": schedule.timezone,
            }  # fmt: skip
            data = {**current, **data}
        serializer = AuditScheduleInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        schedule = schedule_update(
            actor=request.user,
            schedule=schedule,
            plan=self._plan(v["plan"]),
            kind=v["kind"],
            cron=v.get("cron", ""),
            every_seconds=v.get("every_seconds"),
            timezone=v["timezone"],
            request_id=request_id(request),
        )
        return Response(AuditScheduleSerializer(schedule).data)

    def destroy(self, request, *args, **kwargs):
        schedule_delete(actor=request.user, schedule=self.get_object(), request_id=request_id(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: AuditScheduleSerializer})
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """Stop firing until resumed."""
        schedule = schedule_pause(actor=request.user, schedule=self.get_object(), request_id=request_id(request))
        return Response(AuditScheduleSerializer(schedule).data)

    @extend_schema(request=None, responses={200: AuditScheduleSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Fire again from the next time the rule names (periods missed while paused are not caught up)."""
        schedule = schedule_resume(actor=request.user, schedule=self.get_object(), request_id=request_id(request))
        return Response(AuditScheduleSerializer(schedule).data)
