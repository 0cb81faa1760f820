import json

from django.conf import settings
from django.db import models

from audits.choices import OutcomeType, RunStatus, VerdictErrorControl
from explainers.audit_settings import (
    DEFAULT_ALPHA,
    DEFAULT_MIN_DENOMINATOR,
    DEFAULT_MIN_GROUP_SIZE,
    DEFAULT_N_BOOT,
    DEFAULT_REGRESSION_TOLERANCE,
    DEFAULT_SEED,
    DEFAULT_VERDICT_ERROR_CONTROL,
)

from .data import Dataset, ModelArtifact, ProtectedAttribute
from .immutable import AppendOnlyModel
from .workspaces import Workspace


class AuditPlan(models.Model):
    """What to audit (model on dataset across attributes), which metrics, bootstrap and verdict settings."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="plans")
    name = models.CharField(max_length=200)
    # None for model-only plans: probes of a language model or encoder on built-in benchmarks, no group metrics.
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.PROTECT, related_name="plans")
    model = models.ForeignKey(ModelArtifact, on_delete=models.PROTECT, related_name="plans")
    attributes = models.ManyToManyField(ProtectedAttribute, related_name="plans")
    metrics = models.JSONField(default=list, blank=True)
    # Defaults and allowed ranges: explainers.audit_settings.PlanSettings (checked by audit_plan_create).
    n_boot = models.PositiveIntegerField(default=DEFAULT_N_BOOT)
    seed = models.BigIntegerField(default=DEFAULT_SEED)
    alpha = models.FloatField(default=DEFAULT_ALPHA)
    min_group_size = models.PositiveIntegerField(default=DEFAULT_MIN_GROUP_SIZE)
    min_denominator = models.PositiveIntegerField(default=DEFAULT_MIN_DENOMINATOR)
    # How far a metric must move since the last approved report (away from parity, with a difference interval that
    # excludes zero) to be listed as a regression in the new report (explainers.metrics.regressions).
    regression_tolerance = models.FloatField(default=DEFAULT_REGRESSION_TOLERANCE)
    # The error rate verdicts hold at over the whole audit (explainers.metrics.family): familywise by default.
    verdict_error_control = models.CharField(
        max_length=20, choices=VerdictErrorControl.choices, default=DEFAULT_VERDICT_ERROR_CONTROL
    )
    bands = models.JSONField(default=dict, blank=True)
    # Intersections to audit as extra attributes: lists of protected attribute names, e.g. [["race", "sex"]].
    intersections = models.JSONField(default=list, blank=True)
    # One-vs-rest classes of a multiclass decision; outcome_classes are those the outcome column shares.
    decision_classes = models.JSONField(default=list, blank=True)
    outcome_classes = models.JSONField(default=list, blank=True)
    # Attributes never recorded, estimated from proxies: [{"name", "estimate": "race", "surname_column",
    # "zip_column", "first_name_column", "reference_group"}] (explainers.pipeline.spec.EstimatedSpec).
    estimated_attributes = models.JSONField(default=list, blank=True)
    # Counterfactual probes to run on the model (e.g. ["tabular_counterfactual"]) and their settings
    # (ProbeSettings.to_dict(): every setting resolved; {} without probes).
    probes = models.JSONField(default=list, blank=True)
    probe_settings = models.JSONField(default=dict, blank=True)
    # User-stated checks (explainers.metrics.checks grammar), parsed and stored as {"text", "parsed"} dicts; copied
    # to successor plans and evaluated in every run.
    checks = models.JSONField(default=list, blank=True)
    # Continuous scores and rankings (explainers.pipeline.continuous): "continuous" audits the dataset's score column
    # as a continuous score (against its outcome column when that holds numbers); a rank column (1 = top), with an
    # optional query id column, adds exposure and top-k share metrics.
    outcome_type = models.CharField(max_length=20, choices=OutcomeType.choices, default=OutcomeType.BINARY)
    rank_column = models.CharField(max_length=255, blank=True)
    rank_query_column = models.CharField(max_length=255, blank=True)
    top_k = models.PositiveIntegerField(default=10)
    # When a new version of the plan's model or dataset is registered, a successor plan (same settings, the new
    # version, `previous` = this plan) is created and queued (audits.services.versions).
    reaudit_on_new_version = models.BooleanField(default=False)
    previous = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="successor")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class AuditRun(models.Model):
    """One execution of a plan: queued -> running -> succeeded | failed, with progress and heartbeat."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="runs")
    plan = models.ForeignKey(AuditPlan, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the broker last accepted this run's message; null while it never did (the sweeper sends it again).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=255, blank=True)
    # The Celery task id of the message that claimed the run (a redelivery of that same message resumes it).
    task_id = models.CharField(max_length=255, blank=True)
    device = models.CharField(max_length=50, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.plan} ({self.status})"


class AuditReport(AppendOnlyModel):
    """The immutable outcome of a run: canonical JSON (exact bytes kept) and its sha256."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="reports")
    run = models.OneToOneField(AuditRun, on_delete=models.PROTECT, related_name="report")
    schema_version = models.CharField(max_length=20)
    canonical_json = models.TextField()
    sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"report {self.pk} ({self.sha256[:12]})"

    @property
    def document(self) -> dict:
        return json.loads(self.canonical_json)


class ReportVerdictCounts(AppendOnlyModel):
    """How many findings of each verdict a report holds (group-metric results and probe verdicts together),
    derived from its canonical JSON when services.reports.report_create stores it, so that lists can filter by
    verdict without parsing every document. Never changed: the report it counts never changes either."""

    report = models.OneToOneField(AuditReport, on_delete=models.PROTECT, primary_key=True, related_name="verdicts")
    counts = models.JSONField(default=dict)  # {"fail": 2, "pass": 10}; verdicts absent from the report are absent
