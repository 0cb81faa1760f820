"""Viewsets: get_queryset() starts from a selector scoped to request.user; writes call services."""

import uuid

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from audits import selectors
from audits.choices import IngestStatus
from audits.exceptions import ApplicationError
from audits.services.audit_runs import audit_run_create
from audits.services.datasets import dataset_create
from audits.services.lexicons import lexicon_create
from audits.services.models import DecisionColumn, ModelBuiltin, ModelFile, ModelServerPath, model_register
from audits.services.plans import audit_plan_create
from audits.services.run_artifacts import run_artifact_open
from audits.services.trail import trail_verify
from audits.services.whatif import what_if_evidence_save, what_if_prepare, what_if_run

from . import serializers as s
from . import serializers_governance as g
from . import serializers_whatif as w
from .filters import UNKNOWN_PARAMETER, AuditRunFilter, StrictFilterBackend
from .pagination import IdCursorPagination
from .schema_errors import CURSOR, LIMIT_OFFSET, document_pagination_errors


def request_id(request) -> str:
    return request.META.get("HTTP_X_REQUEST_ID", "")[:100] or uuid.uuid4().hex


def _scoped(queryset, pk, what: str):
    """Fetch an object referenced in a request body from the user's own objects (400 otherwise)."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise ApplicationError(f"{what.capitalize()} {pk} not found in your workspaces.", field=what)
    return obj


def _workspace(request, reference: str):
    """A workspace of the user's, by slug or id (400 otherwise)."""
    lookup = {"pk": reference} if str(reference).isdigit() else {"slug": reference}
    workspace = selectors.workspace_list(user=request.user).filter(**lookup).first()
    if workspace is None:
        raise ApplicationError(f"Workspace '{reference}' not found in your workspaces.", field="workspace")
    return workspace


@document_pagination_errors(*LIMIT_OFFSET)
class WorkspaceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.WorkspaceSerializer

    def get_queryset(self):
        return selectors.workspace_list(user=self.request.user).prefetch_related("memberships")


@document_pagination_errors(*LIMIT_OFFSET)
class ProtectedAttributeViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ProtectedAttributeSerializer

    def get_queryset(self):
        return selectors.protected_attribute_list(user=self.request.user)


@document_pagination_errors(*LIMIT_OFFSET)
class DatasetViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Upload a table (multipart), declare its decision, outcome and protected columns."""

    serializer_class = s.DatasetSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return selectors.dataset_list(user=self.request.user).prefetch_related("protected_attributes")

    @extend_schema(
        request=s.DatasetCreateInputSerializer,
        responses={201: s.DatasetSerializer, 202: s.DatasetSerializer},
        description="201 with the stored dataset; 202 with status `validating` for a file above "
        "AUDIT_INGEST_INLINE_MAX_BYTES, which a worker validates and profiles: poll the dataset until its status is "
        "`ready` (its decisions model is then `decisions_model`) or `refused` (`status_reason` says why).",
    )
    def create(self, request, *args, **kwargs):
        data = request.data
        if hasattr(data, "getlist"):  # multipart: repeated keys are lists
            data = {k: (data.getlist(k) if k in _LIST_FIELDS else data.get(k)) for k in data}
        serializer = s.DatasetCreateInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        workspace = _workspace(request, v["workspace"])
        dataset, model = dataset_create(
            user=request.user,
            workspace=workspace,
            name=v.get("name", ""),
            upload=v["file"],
            protected=v["protected_pairs"],
            proxy_columns=v["proxy_columns"],
            decision_column=v.get("decision_column", ""),
            decision_favourable=v["favourable_decision"],
            outcome_column=v.get("outcome_column", ""),
            outcome_favourable=v["favourable_outcome"],
            text_column=v.get("text_column", ""),
            score_column=v.get("score_column", ""),
            score_higher_is_favourable=v["score_higher_is_favourable"],
            outcome_type=v["outcome_type"],
            rank_column=v.get("rank_column", ""),
            rank_query_column=v.get("rank_query_column", ""),
            missing_policy=v["missing_policy"],
            encoding=v.get("encoding") or None,
            delimiter=v.get("delimiter") or None,
            request_id=request_id(request),
        )
        body = s.DatasetSerializer(dataset, context={"request": request}).data
        body["model"] = s.ModelArtifactSerializer(model).data if model else None
        deferred = dataset.status == IngestStatus.VALIDATING
        return Response(body, status=status.HTTP_202_ACCEPTED if deferred else status.HTTP_201_CREATED)


_LIST_FIELDS = {"favourable", "favourable_decision", "favourable_outcome", "protected", "reference", "proxy_columns"}


@document_pagination_errors(*LIMIT_OFFSET)
class ModelArtifactViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ModelArtifactSerializer

    def get_queryset(self):
        return selectors.model_list(user=self.request.user)

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request=w.WhatIfInputSerializer,
        responses={200: w.WhatIfResponseSerializer, 202: w.WhatIfResponseSerializer},
    )
    @action(detail=True, methods=["post"], url_path="what-if", parser_classes=[JSONParser])
    def what_if(self, request, pk=None):
        """Score one input, its attributions and its counterfactual variants across a protected attribute's groups
        (on the worker queue; 202 while it runs: POST the same input again). With `report`, save it as evidence."""
        model = self.get_object()
        serializer = w.WhatIfInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        dataset = (
            _scoped(selectors.dataset_list(user=request.user), v["dataset"], "dataset") if v.get("dataset") else None
        )
        prepared = what_if_prepare(
            user=request.user, model=model, text=v.get("text", ""), lexicon=v.get("lexicon", ""), dataset=dataset,
            row=v.get("row"), values=v.get("values"), attribute=v.get("attribute", ""),
        )  # fmt: skip
        result = what_if_run(user=request.user, request=prepared, request_id=request_id(request))
        evidence = None
        if result is not None and v.get("report"):
            report = _scoped(selectors.audit_report_list(user=request.user), v["report"], "report")
            evidence = what_if_evidence_save(
                user=request.user, request=prepared, report=report, note=v.get("note", ""),
                request_id=request_id(request),
            ).pk  # fmt: skip
        body = {
            "status": "done" if result is not None else "pending",
            "model": model.pk,
            "input_sha256": prepared.input_sha256,
            "result": result,
            "evidence": evidence,
        }
        return Response(body, status=status.HTTP_200_OK if result is not None else status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=s.ModelCreateInputSerializer,
        responses={201: s.ModelArtifactSerializer, 202: s.ModelArtifactSerializer},
        description="201 with the registered model; 202 with status `validating` for an uploaded folder above "
        "AUDIT_INGEST_INLINE_MAX_BYTES, which a worker loads and smoke-tests: poll the model until its status is "
        "`ready` or `refused` (`status_reason` says why).",
    )
    def create(self, request, *args, **kwargs):
        """Register decisions in a dataset column, an uploaded model, a server folder or a built-in model."""
        data = request.data
        if hasattr(data, "getlist"):
            data = {k: (data.getlist(k) if k == "favourable" else data.get(k)) for k in data}
        serializer = s.ModelCreateInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        dataset = (
            _scoped(selectors.dataset_list(user=request.user), v["dataset"], "dataset") if v.get("dataset") else None
        )
        if v.get("file") is not None:
            source = ModelFile(v["file"])
        elif v.get("path"):
            source = ModelServerPath(v["path"])
        elif v.get("builtin"):
            source = ModelBuiltin(v["builtin"])
        else:
            source = DecisionColumn(v["decision_column"])
        model = model_register(
            actor=request.user,
            source=source,
            workspace=_workspace(request, v["workspace"]) if v.get("workspace") else None,
            dataset=dataset,
            favourable=v.get("favourable") or [],
            name=v.get("name", ""),
            text_column=v.get("text_column", ""),
            kind=v.get("kind", ""),
            request_id=request_id(request),
        )
        deferred = model.status == IngestStatus.VALIDATING
        return Response(
            s.ModelArtifactSerializer(model).data,
            status=status.HTTP_202_ACCEPTED if deferred else status.HTTP_201_CREATED,
        )


@document_pagination_errors(*LIMIT_OFFSET)
# The nested estimated_attributes list refuses a null list, or a null item, on the list or the item itself
# (`estimated_attributes`, `estimated_attributes.0`), not on their non_field_errors.
@extend_validation_errors(["null", "not_a_list", "invalid"], field_name="estimated_attributes", actions=["create"])
@extend_validation_errors(["null", "invalid"], field_name="estimated_attributes.INDEX", actions=["create"])
class AuditPlanViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.AuditPlanSerializer

    def get_queryset(self):
        return selectors.audit_plan_list(user=self.request.user)

    @extend_schema(request=s.AuditPlanCreateInputSerializer, responses={201: s.AuditPlanSerializer})
    def create(self, request, *args, **kwargs):
        serializer = s.AuditPlanCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        dataset = (
            _scoped(selectors.dataset_list(user=request.user), v["dataset"], "dataset") if v.get("dataset") else None
        )
        model = _scoped(selectors.model_list(user=request.user), v["model"], "model")
        attributes = None
        if v.get("attributes"):
            attributes = [
                _scoped(selectors.protected_attribute_list(user=request.user), pk, "attributes")
                for pk in v["attributes"]
            ]
        plan = audit_plan_create(
            user=request.user,
            dataset=dataset,
            model=model,
            attributes=attributes,
            name=v.get("name", ""),
            metrics=v.get("metrics"),
            n_boot=v["n_boot"],
            seed=v["seed"],
            alpha=v["alpha"],
            min_group_size=v["min_group_size"],
            min_denominator=v["min_denominator"],
            regression_tolerance=v["regression_tolerance"],
            verdict_error_control=v["verdict_error_control"],
            bands=v.get("bands"),
            intersections=v.get("intersections"),
            estimated_attributes=[dict(item) for item in v.get("estimated_attributes") or []],
            multiclass=v["multiclass"],
            probes=v.get("probes"),
            probe_settings=v.get("probe_settings"),
            reaudit_on_new_version=v["reaudit_on_new_version"],
            checks=v.get("checks"),
            request_id=request_id(request),
            outcome_type=v.get("outcome_type", ""),
            rank_column=v.get("rank_column", ""),
            rank_query_column=v.get("rank_query_column", ""),
            top_k=v["top_k"],
        )
        return Response(s.AuditPlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: s.AuditRunSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        """Queue an audit run of this plan; poll /runs/{id}/ for progress and the report id."""
        run = audit_run_create(user=request.user, plan=self.get_object(), request_id=request_id(request))
        return Response(s.AuditRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


@document_pagination_errors(*LIMIT_OFFSET)
class WorkspaceLexiconViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Term lexicons of your workspaces for the text probe; a new upload of a name becomes its next version."""

    serializer_class = s.WorkspaceLexiconSerializer

    def get_queryset(self):
        return selectors.lexicon_list(user=self.request.user)

    @extend_schema(request=s.WorkspaceLexiconCreateInputSerializer, responses={201: s.WorkspaceLexiconSerializer})
    def create(self, request, *args, **kwargs):
        serializer = s.WorkspaceLexiconCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        lexicon = lexicon_create(
            user=request.user,
            workspace=_workspace(request, v["workspace"]),
            content=v["content"],
            request_id=request_id(request),
        )
        return Response(s.WorkspaceLexiconSerializer(lexicon).data, status=status.HTTP_201_CREATED)


@extend_validation_errors([UNKNOWN_PARAMETER], field_name=None, actions=["list"])
@document_pagination_errors(*CURSOR)
class AuditRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Runs of your workspaces, newest first (cursor pagination); the list filters by `model`, `plan`, `dataset`,
    `workspace`, `status`, `created_after` and `updated_since`, and refuses unknown parameters."""

    filter_backends = [StrictFilterBackend]
    filterset_class = AuditRunFilter
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return selectors.audit_run_list(user=self.request.user).select_related(
            "plan", "report__verdicts", "report__review"
        )

    def get_serializer_class(self):
        return g.AuditRunListSerializer if self.action == "list" else s.AuditRunSerializer

    @extend_schema(
        parameters=[OpenApiParameter("name", str, description="artifact name from the report's probe summary")],
        responses={(200, "application/vnd.apache.parquet"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    @action(detail=True, methods=["get"])
    def artifact(self, request, pk=None):
        """A probe's per-pair results (Parquet), as named in the run's report; the download is in the trail.
        Row-level content: auditors, reviewers and admins only (a viewer gets 403)."""
        name = request.query_params.get("name", "")
        path = run_artifact_open(user=request.user, run=self.get_object(), name=name, request_id=request_id(request))
        response = HttpResponse(path.read_bytes(), content_type="application/vnd.apache.parquet")
        response["Content-Disposition"] = f'attachment; filename="run-{pk}-{path.name}"'
        return response


class TrailVerifyView(APIView):
    """Verify the whole audit trail (staff only: the chain spans every workspace): the hash chain, its latest signed
    checkpoint, every signature, and reports, reviews and memberships against the trail; names the first
    inconsistency (`first_broken_id`, `first_broken_signature_id` or `broken_object`, with `reason`)."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT)})
    def get(self, request):
        return Response(trail_verify().as_dict())
