"""Reports (immutable), their exports, and their review: every view, export and decision is in the trail."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from audits import selectors
from audits.choices import ExportFormat
from audits.exceptions import NotFoundError
from audits.services.report_comparisons import report_compare
from audits.services.report_exports import report_export
from audits.services.reports import report_record_view
from audits.services.reviews import review_comment, review_decide, review_start, review_submit
from audits.signing.keys import current_key_id, public_key_pem

from . import serializers as s
from . import serializers_governance as g
from .filters import UNKNOWN_PARAMETER, AuditReportFilter, StrictFilterBackend
from .pagination import IdCursorPagination
from .report_reads import LIST_VALUES, json_fast_path, report_detail_body, report_list_items
from .schema_errors import CURSOR, LIMIT_OFFSET, document_pagination_errors
from .views import request_id


def _export_response(request, report, fmt: str) -> HttpResponse:
    exported = report_export(actor=request.user, report=report, fmt=fmt, via="api", request_id=request_id(request))
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response["X-Report-SHA256"] = report.sha256
    return response


@extend_validation_errors([UNKNOWN_PARAMETER], field_name=None, actions=["list"])
@document_pagination_errors(*CURSOR)
class AuditReportViewSet(viewsets.ReadOnlyModelViewSet):
    """Immutable reports. `download` returns the exact canonical bytes whose sha256 is stored; `export` renders
    governance formats from them; `submit` starts the review; `diff` compares with the previous approved report.
    The list (newest first, cursor pagination) filters by `model`, `plan`, `dataset`, `workspace`, `verdict`,
    `review_state`, `created_after` and `updated_since`, and refuses unknown parameters."""

    filter_backends = [StrictFilterBackend]
    filterset_class = AuditReportFilter
    pagination_class = IdCursorPagination

    def get_queryset(self):
        reports = selectors.audit_report_list(user=self.request.user).select_related("run", "workspace")
        if self.action == "retrieve":
            # The document is read only when this process has not served the report's body yet (report_reads).
            return reports.defer("canonical_json")
        return reports

    def get_serializer_class(self):
        return g.AuditReportListSerializer if self.action == "list" else s.AuditReportSerializer

    def list(self, request, *args, **kwargs):
        # Rows, not model instances: the items are AuditReportListSerializer's, built by report_list_items.
        reports = self.filter_queryset(self.get_queryset()).values(*LIST_VALUES)
        page = self.paginate_queryset(reports)
        return self.get_paginated_response(report_list_items(page))

    def retrieve(self, request, *args, **kwargs):
        report = self.get_object()  # once: the view is recorded for the report served
        report_record_view(user=request.user, report=report, via="api", request_id=request_id(request))
        if json_fast_path(request):
            body = report_detail_body(report, lambda: self.get_serializer(report).data)
            return HttpResponse(body, content_type="application/json")
        return Response(self.get_serializer(report).data)

    @extend_schema(responses={(200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT)})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        return _export_response(request, self.get_object(), ExportFormat.JSON)

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=ExportFormat.values, description="export format")],
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"], url_path="export")
    def export(self, request, pk=None):
        """json, model_card (Model Card Toolkit v0.0.2), hf_card (README.md), csv, dsse (in-toto attestation
        bundle: one signed envelope per line), html (self-contained, the signed rendering), html_review (html with the
        review appendix), pdf, cyclonedx (CycloneDX 1.6 ML-BOM), spdx (SPDX 3.0.1 AI profile, JSON-LD), ll144,
        ll144_csv, ll144_html (NYC LL144 summary) or evidence (EU AI Act evidence pack, approved reports)."""
        return _export_response(request, self.get_object(), request.query_params.get("format", ExportFormat.JSON))

    @extend_schema(request=s.ReviewCommentInputSerializer, responses={201: s.ReportReviewSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        serializer = s.ReviewCommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = review_submit(
            user=request.user,
            report=self.get_object(),
            comment=serializer.validated_data.get("comment", ""),
            request_id=request_id(request),
        )
        return Response(s.ReportReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against", int, required=False, description="id of a report of the same model or plan to compare with"
            )
        ],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        """Metric deltas (this report minus the other), verdict changes, new and resolved findings, probe verdict
        changes against `?against=<id>` (any report of the same model or plan), or by default against the
        previous approved report of the same plan."""
        report = self.get_object()
        reference = request.query_params.get("against", "").strip()
        if reference:
            against = None
            if reference.isdigit():
                against = self.get_queryset().filter(pk=int(reference)).first()
            if against is None:
                raise NotFoundError(f"Report {reference} not found in your workspaces.", field="against")
        else:
            against = selectors.previous_approved_report(report=report)
            if against is None:
                return Response({"previous_report": None, "diff": None})
        comparison = report_compare(report=report, against=against)
        return Response({"previous_report": against.pk, "diff": comparison.diff})


@document_pagination_errors(*LIMIT_OFFSET)
class ReportReviewViewSet(viewsets.ReadOnlyModelViewSet):
    """Reviews of your workspaces' reports: start, decide (approve / reject / request_changes), comment."""

    serializer_class = s.ReportReviewSerializer

    def get_queryset(self):
        return selectors.review_list(user=self.request.user).prefetch_related("entries")

    @extend_schema(request=None, responses={200: s.ReportReviewSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        review = review_start(user=request.user, review=self.get_object(), request_id=request_id(request))
        return Response(s.ReportReviewSerializer(review).data)

    @extend_schema(request=s.ReviewDecisionInputSerializer, responses={200: s.ReportReviewSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        serializer = s.ReviewDecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = review_decide(
            user=request.user,
            review=self.get_object(),
            decision=serializer.validated_data["decision"],
            comment=serializer.validated_data.get("comment", ""),
            request_id=request_id(request),
        )
        return Response(s.ReportReviewSerializer(review).data)

    @extend_schema(request=s.ReviewCommentInputSerializer, responses={201: s.ReportReviewSerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        serializer = s.ReviewCommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = self.get_object()
        review_comment(
            user=request.user,
            review=review,
            comment=serializer.validated_data.get("comment", ""),
            request_id=request_id(request),
        )
        return Response(s.ReportReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class SigningKeyView(APIView):
    """The platform's public key, to verify downloaded envelopes (`verify_envelope`, `dsse.verify_bundle`) away
    from the platform. Public material: any signed-in user may read it; the private key never leaves settings."""

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request):
        return Response({"algorithm": "ed25519", "key_id": current_key_id(), "public_key": public_key_pem()})
