from django.conf import settings
from django.db import models

from audits.choices import IngestStatus, MissingPolicy, ModelKind

from .workspaces import Workspace


class Dataset(models.Model):
    """An uploaded table, validated and stored as Parquet with its sha256, schema and profile (once `ready`)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="datasets")
    name = models.CharField(max_length=200)
    # A new upload under an existing name of the workspace is its next version (audits.services.versions).
    version = models.PositiveIntegerField(default=1)
    file = models.FileField(upload_to="datasets/")
    # sha256 of the stored Parquet file; source_sha256 of the bytes the user uploaded.
    sha256 = models.CharField(max_length=64)
    source_sha256 = models.CharField(max_length=64)
    source_filename = models.CharField(max_length=255, blank=True)
    source_format = models.CharField(max_length=20)
    source_encoding = models.CharField(max_length=40, blank=True)
    source_delimiter = models.CharField(max_length=4, blank=True)
    n_rows = models.PositiveBigIntegerField()
    n_columns = models.PositiveIntegerField()
    schema = models.JSONField(default=list)
    profile = models.JSONField(default=dict)
    outcome_column = models.CharField(max_length=255, blank=True)
    outcome_favourable = models.JSONField(default=list, blank=True)
    text_column = models.CharField(max_length=255, blank=True)
    # A model score for the favourable decision (e.g. a probability), for score analyses.
    score_column = models.CharField(max_length=255, blank=True)
    score_higher_is_favourable = models.BooleanField(default=True)
    missing_policy = models.CharField(max_length=20, choices=MissingPolicy.choices, default=MissingPolicy.DROP_ROWS)
    # A file above AUDIT_INGEST_INLINE_MAX_BYTES is stored as uploaded and `validating` until a worker has parsed and
    # profiled it: then `ready`, or `refused` with the reason (its file removed). Only ready datasets are audited.
    status = models.CharField(max_length=20, choices=IngestStatus.choices, default=IngestStatus.READY, db_index=True)
    status_reason = models.TextField(blank=True)
    # What the uploader declared (column roles, encoding, delimiter), kept for the worker while validating.
    ingest_request = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name", "version"], name="dataset_unique_version")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_ready(self) -> bool:
        return self.status == IngestStatus.READY


class ProtectedAttribute(models.Model):
    """A protected column of a dataset, its groups and (optionally) the declared reference group."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="protected_attributes")
    name = models.CharField(max_length=255)
    column = models.CharField(max_length=255)
    groups = models.JSONField(default=list)
    reference_group = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["dataset", "name"], name="protected_attribute_unique_name")]

    def __str__(self) -> str:
        return f"{self.dataset}: {self.name}"


class ModelArtifact(models.Model):
    """A model under audit. Kind `dataset_decisions` means its decisions are a column of `dataset`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="models")
    name = models.CharField(max_length=200)
    # A new registration under an existing name of the workspace is its next version (audits.services.versions).
    version = models.PositiveIntegerField(default=1)
    kind = models.CharField(max_length=30, choices=ModelKind.choices)
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision_column = models.CharField(max_length=255, blank=True)
    decision_favourable = models.JSONField(default=list, blank=True)
    file = models.FileField(upload_to="models/", blank=True)
    # A model folder (Hugging Face safetensors directory): under MEDIA_ROOT for uploads, or an allowed server path.
    path = models.CharField(max_length=1000, blank=True)
    sha256 = models.CharField(max_length=64)
    config = models.JSONField(default=dict, blank=True)
    framework_versions = models.JSONField(default=dict, blank=True)
    # An uploaded folder above AUDIT_INGEST_INLINE_MAX_BYTES is `validating` until a worker has loaded and smoke-
    # tested it (in a capped child process): then `ready`, or `refused` with the reason. Only ready models are run.
    status = models.CharField(max_length=20, choices=IngestStatus.choices, default=IngestStatus.READY, db_index=True)
    status_reason = models.TextField(blank=True)
    # What the registrant asked for (favourable class, text column, smoke dataset), kept for the worker.
    ingest_request = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name", "version"], name="model_unique_version")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_ready(self) -> bool:
        return self.status == IngestStatus.READY


class WorkspaceLexicon(models.Model):
    """A term lexicon of one workspace for the text probe, in the built-in format (explainers/lexicons).

    Versions are kept side by side: a new upload of the same name gets the next version, old ones stay
    readable so that earlier reports keep pointing at the exact terms they used.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="lexicons")
    name = models.SlugField(max_length=60)
    version = models.PositiveIntegerField()
    content = models.JSONField()
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name", "version"], name="workspace_lexicon_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.name}.v{self.version}"
