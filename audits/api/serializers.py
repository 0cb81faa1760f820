"""Explicit serializers; server-owned fields are read-only."""

from dataclasses import fields

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audits.choices import MissingPolicy, ModelKind, OutcomeType, VerdictErrorControl
from audits.execution.builtins import BUILTINS
from audits.models import (
    AuditPlan,
    AuditReport,
    AuditRun,
    Dataset,
    ModelArtifact,
    ProtectedAttribute,
    ReportReview,
    ReviewEntry,
    Workspace,
    WorkspaceLexicon,
)
from audits.services.plans import METRIC_IDS
from explainers.audit_settings import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_DENOMINATOR,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_N_BOOT,
    DEFAULT_REGRESSION_TOLERANCE,
    DEFAULT_SEED,
    DEFAULT_VERDICT_ERROR_CONTROL,
    ProbeSettings,
)
from explainers.metrics.ranking import DEFAULT_TOP_K

from .serializers_schedules import VersionSerializer


class WorkspaceSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Workspace
        fields = ["id", "name", "slug", "role", "created_at"]
        read_only_fields = fields

    def get_role(self, workspace) -> str | None:
        user = self.context["request"].user
        return next((m.role for m in workspace.memberships.all() if m.user_id == user.pk), None)


class ProtectedAttributeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProtectedAttribute
        fields = ["id", "dataset", "name", "column", "groups", "reference_group", "created_at"]
        read_only_fields = fields


def _versions(obj) -> list[dict]:
    """Every version of the object's name in its workspace, newest first (the object itself was fetched scoped)."""
    rows = type(obj).objects.filter(workspace_id=obj.workspace_id, name=obj.name).order_by("-version")
    return VersionSerializer(rows.only("id", "version", "sha256", "created_at"), many=True).data


class DatasetSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    protected_attributes = ProtectedAttributeSerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    versions = serializers.SerializerMethodField(help_text="Every version of this name, newest first.")
    status_reason = serializers.CharField(
        read_only=True, help_text="Why the upload was refused (status `refused`); empty otherwise."
    )
    decisions_model = serializers.SerializerMethodField(
        help_text="Id of the model registered from the declared decision column, once the dataset is ready."
    )

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, dataset) -> list[dict]:
        return _versions(dataset)

    def get_decisions_model(self, dataset) -> int | None:
        found = ModelArtifact.objects.filter(dataset=dataset, kind=ModelKind.DATASET_DECISIONS).order_by("id")
        return found.values_list("pk", flat=True).first()

    class Meta:
        model = Dataset
        fields = [
            "id",
            "workspace",
            "name",
            "version",
            "versions",
            "status",
            "status_reason",
            "decisions_model",
            "sha256",
            "source_sha256",
            "source_filename",
            "source_format",
            "source_encoding",
            "source_delimiter",
            "n_rows",
            "n_columns",
            "schema",
            "profile",
            "outcome_column",
            "outcome_favourable",
            "text_column",
            "missing_policy",
            "protected_attributes",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class DatasetCreateInputSerializer(serializers.Serializer):
    workspace = serializers.CharField(help_text="Workspace slug or id.")
    file = serializers.FileField(help_text="CSV (UTF-8 or Latin-1; delimiter detected) or Parquet.")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    decision_column = serializers.CharField(required=False, allow_blank=True, help_text="The model's decisions.")
    outcome_column = serializers.CharField(required=False, allow_blank=True, help_text="True outcomes (labels).")
    favourable = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Favourable value(s) of both columns."
    )
    favourable_decision = serializers.ListField(child=serializers.CharField(), required=False)
    favourable_outcome = serializers.ListField(child=serializers.CharField(), required=False)
    protected = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Protected columns; may be left out when proxy_columns are given.",
    )
    proxy_columns = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Columns that estimate an attribute never recorded (surname, ZIP, first name), for a plan's "
        "estimated_attributes.",
    )
    reference = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Declared reference groups as column=group."
    )
    text_column = serializers.CharField(required=False, allow_blank=True)
    score_column = serializers.CharField(
        required=False, allow_blank=True, help_text="Model score of the favourable decision (numbers)."
    )
    score_higher_is_favourable = serializers.BooleanField(default=True)
    outcome_type = serializers.ChoiceField(
        choices=OutcomeType.choices,
        default=OutcomeType.BINARY,
        help_text="continuous: the score column is a continuous score and the outcome column (optional) holds "
        "numbers; no decision column is needed.",
    )
    rank_column = serializers.CharField(
        required=False, allow_blank=True, help_text="Positions in a ranking, 1 = top (a ranking audit)."
    )
    rank_query_column = serializers.CharField(
        required=False, allow_blank=True, help_text="Query or list id: rows of one ranked list share it."
    )
    missing_policy = serializers.ChoiceField(choices=MissingPolicy.choices, default=MissingPolicy.DROP_ROWS)
    encoding = serializers.CharField(required=False, allow_blank=True, help_text="Leave empty to detect.")
    delimiter = serializers.CharField(required=False, allow_blank=True, max_length=1)

    def validate(self, attrs):
        references = {}
        for item in attrs.get("reference", []):
            column, sep, group = item.partition("=")
            if not sep or not column.strip() or not group.strip():
                raise serializers.ValidationError({"reference": f"'{item}' must look like column=group."})
            references[column.strip()] = group.strip()
        protected = [c.strip() for item in attrs.get("protected", []) for c in item.split(",") if c.strip()]
        unknown = set(references) - set(protected)
        if unknown:
            raise serializers.ValidationError({"reference": f"{sorted(unknown)} are not protected columns."})
        attrs["protected_pairs"] = [(c, references.get(c, "")) for c in protected]
        attrs["proxy_columns"] = [c.strip() for item in attrs.get("proxy_columns", []) for c in item.split(",")]
        if "favourable_decision" not in attrs:
            attrs["favourable_decision"] = attrs.get("favourable", [])
        if "favourable_outcome" not in attrs:
            attrs["favourable_outcome"] = attrs.get("favourable", [])
        return attrs


class ModelArtifactSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    versions = serializers.SerializerMethodField(help_text="Every version of this name, newest first.")
    status_reason = serializers.CharField(
        read_only=True, help_text="Why the registration was refused (status `refused`); empty otherwise."
    )

    @extend_schema_field(VersionSerializer(many=True))
    def get_versions(self, model) -> list[dict]:
        return _versions(model)

    class Meta:
        model = ModelArtifact
        fields = [
            "id",
            "workspace",
            "name",
            "version",
            "versions",
            "status",
            "status_reason",
            "kind",
            "dataset",
            "decision_column",
            "decision_favourable",
            "sha256",
            "config",
            "framework_versions",
            "created_at",
        ]
        read_only_fields = fields


class ModelCreateInputSerializer(serializers.Serializer):
    """Decisions in a dataset column, an uploaded model (skops file or zipped transformers folder), a folder on
    the server inside an allowed root, or a built-in model."""

    dataset = serializers.IntegerField(
        required=False, help_text="Dataset holding the decisions; for a runnable model, the smoke-test data."
    )
    decision_column = serializers.CharField(required=False, allow_blank=True)
    favourable = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Favourable decision value(s) or class (required for classifiers; the built-ins have a default).",
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    workspace = serializers.CharField(required=False, help_text="Workspace slug or id (uploaded or built-in models).")
    file = serializers.FileField(
        required=False,
        help_text="scikit-learn model saved with skops.io.dump, or a ZIP of a transformers folder (safetensors).",
    )
    path = serializers.CharField(
        required=False, help_text="A model folder on the server, inside AUDIT_MODEL_PATH_ROOTS."
    )
    builtin = serializers.ChoiceField(choices=sorted(BUILTINS), required=False, help_text="A built-in model.")
    kind = serializers.ChoiceField(
        choices=["", ModelKind.HF_CLASSIFIER, ModelKind.HF_CAUSAL_LM, ModelKind.HF_ENCODER],
        required=False,
        help_text="Kind of a transformers folder; detected from its config when left out.",
    )
    text_column = serializers.CharField(required=False, allow_blank=True, help_text="Text column a classifier reads.")

    def validate(self, attrs):
        sources = [k for k in ("file", "path", "builtin") if attrs.get(k)]
        if len(sources) > 1:
            raise serializers.ValidationError(f"Give only one of file, path, builtin (got {', '.join(sources)}).")
        if not sources and not (attrs.get("dataset") and attrs.get("decision_column")):
            raise serializers.ValidationError(
                "Give a model `file`, a server `path`, a `builtin` name, or a `dataset` and its `decision_column`."
            )
        if sources and not attrs.get("workspace") and not attrs.get("dataset"):
            raise serializers.ValidationError({"workspace": "Name the workspace of the model."})
        if not sources and not attrs.get("favourable"):
            raise serializers.ValidationError({"favourable": "Name the favourable decision value(s)."})
        return attrs


class WorkspaceLexiconSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = WorkspaceLexicon
        fields = ["id", "workspace", "name", "version", "sha256", "content", "created_at"]
        read_only_fields = fields


class WorkspaceLexiconCreateInputSerializer(serializers.Serializer):
    workspace = serializers.CharField(help_text="Workspace slug or id.")
    content = serializers.JSONField(
        help_text="The lexicon: name, version, licence, source, groups, pairs, optional control (see README)."
    )


class EstimatedAttributeSerializer(serializers.Serializer):
    """An attribute never recorded, estimated from proxies with BISG (surname + ZIP) or BIFSG (+ first name)."""

    estimate = serializers.ChoiceField(choices=["race"], default="race", help_text="What to estimate: race.")
    surname_column = serializers.CharField(max_length=255, help_text="Column of surnames.")
    zip_column = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="Column of ZIP codes (BISG)."
    )
    first_name_column = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="Column of first names (BIFSG)."
    )
    name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text='Default "race (estimated)".'
    )
    reference_group = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="e.g. White; default: highest SR."
    )


class AuditPlanSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    estimated_attributes = EstimatedAttributeSerializer(many=True, read_only=True)

    class Meta:
        model = AuditPlan
        fields = [
            "id",
            "workspace",
            "name",
            "dataset",
            "model",
            "attributes",
            "metrics",
            "n_boot",
            "seed",
            "alpha",
            "min_group_size",
            "min_denominator",
            "regression_tolerance",
            "verdict_error_control",
            "bands",
            "intersections",
            "estimated_attributes",
            "decision_classes",
            "outcome_classes",
            "probes",
            "probe_settings",
            "checks",
            "outcome_type",
            "rank_column",
            "rank_query_column",
            "top_k",
            "reaudit_on_new_version",
            "previous",
            "created_at",
        ]
        read_only_fields = fields


class AuditPlanCreateInputSerializer(serializers.Serializer):
    dataset = serializers.IntegerField(
        required=False, allow_null=True, help_text="Leave out for probes of a language model or encoder."
    )
    model = serializers.IntegerField()
    attributes = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="Protected attribute ids; all of the dataset's by default.",
    )
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    metrics = serializers.ListField(child=serializers.ChoiceField(choices=METRIC_IDS), required=False)
    # Ranges are checked by the service (PlanSettings), with the same messages for the API, CLI and pages.
    n_boot = serializers.IntegerField(default=DEFAULT_N_BOOT)
    seed = serializers.IntegerField(default=DEFAULT_SEED)
    alpha = serializers.FloatField(default=DEFAULT_ALPHA)
    min_group_size = serializers.IntegerField(default=DEFAULT_MIN_GROUP_SIZE)
    min_denominator = serializers.IntegerField(default=DEFAULT_MIN_DENOMINATOR)
    regression_tolerance = serializers.FloatField(
        default=DEFAULT_REGRESSION_TOLERANCE,
        help_text="How far a metric must move since the plan's last approved report (away from parity, with a "
        "difference interval excluding zero) to be listed as a regression; in the metric's own units.",
    )
    verdict_error_control = serializers.ChoiceField(
        choices=VerdictErrorControl.choices,
        default=DEFAULT_VERDICT_ERROR_CONTROL,
        help_text="The error rate the verdicts hold at over the whole audit: per_comparison (each at 1 - alpha), "
        "familywise (every pass and fail jointly at 1 - alpha, simultaneous intervals) or fdr "
        "(Benjamini-Yekutieli false coverage-rate intervals).",
    )
    bands = serializers.DictField(child=serializers.ListField(child=serializers.FloatField()), required=False)
    intersections = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField(), min_length=2),
        required=False,
        help_text='Attribute-name lists audited as intersections, e.g. [["race", "sex"]].',
    )
    estimated_attributes = EstimatedAttributeSerializer(
        many=True,
        required=False,
        help_text="Attributes never recorded, estimated from proxies (BISG/BIFSG with the census tables); "
        "audited on probability-weighted counts and labelled 'estimated from proxies' in the report.",
    )
    multiclass = serializers.BooleanField(default=False, help_text="Also audit each decision class one-vs-rest.")
    probes = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="tabular_counterfactual, text_counterfactual, crows_pairs, bbq, weat, discrim_eval",
    )
    probe_settings = serializers.DictField(
        required=False,
        help_text=f"Overrides of the probes' settings ({', '.join(f.name for f in fields(ProbeSettings))}); "
        "the plan stores them all, resolved.",
    )
    reaudit_on_new_version = serializers.BooleanField(
        default=False,
        help_text="Queue a re-audit (a successor plan with these settings) when a new version of the model or "
        "dataset is registered under the same name.",
    )
    checks = serializers.ListField(
        child=serializers.CharField(max_length=300, allow_blank=True),
        required=False,
        max_length=20,
        help_text='User-stated checks, e.g. "selection_rate(sex=female) >= selection_rate(sex=male) - 0.05" or '
        '"mean_abs_delta(he -> she) < 0.02" (grammar in the README); each is judged in every run.',
    )
    outcome_type = serializers.ChoiceField(
        choices=OutcomeType.choices,
        required=False,
        help_text="binary or continuous (the score column as a continuous score, against a numeric outcome); "
        "the dataset's by default.",
    )
    rank_column = serializers.CharField(
        required=False, allow_blank=True, help_text="Column of positions, 1 = top: adds exposure and top-k metrics."
    )
    rank_query_column = serializers.CharField(
        required=False, allow_blank=True, help_text="Query id column: exposure is averaged per query."
    )
    top_k = serializers.IntegerField(default=DEFAULT_TOP_K, help_text="k of the top-k share metric.")


class AuditRunSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    report = serializers.SerializerMethodField()
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)

    class Meta:
        model = AuditRun
        fields = [
            "id",
            "workspace",
            "plan",
            "status",
            "progress",
            "stage",
            "attempts",
            "heartbeat_at",
            "worker",
            "device",
            "timings",
            "error",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "report",
        ]
        read_only_fields = fields

    def get_report(self, run) -> int | None:
        report = getattr(run, "report", None)  # a missing reverse one-to-one raises an AttributeError subclass
        return report.pk if report else None


class AuditReportSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    document = serializers.JSONField(read_only=True)

    class Meta:
        model = AuditReport
        fields = ["id", "workspace", "run", "schema_version", "sha256", "created_at", "document"]
        read_only_fields = fields


class ReviewEntrySerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ReviewEntry
        fields = ["id", "action", "actor", "comment", "created_at"]
        read_only_fields = fields


class ReportReviewSerializer(serializers.ModelSerializer):
    workspace = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    entries = ReviewEntrySerializer(many=True, read_only=True)

    class Meta:
        model = ReportReview
        fields = [
            "id", "workspace", "report", "status", "submitted_by", "decided_by", "decided_at", "created_at", "entries",
        ]  # fmt: skip
        read_only_fields = fields


class ReviewCommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class ReviewDecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject", "request_changes"])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
