"""Choice sets of the audit domain."""

from django.db import models

from explainers.pipeline.spec import MISSING_AS_GROUP, MISSING_DROP_ROWS, MISSING_GROUP_LABEL


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    AUDITOR = "auditor", "Auditor"
    REVIEWER = "reviewer", "Reviewer"
    ADMIN = "admin", "Admin"


class ModelKind(models.TextChoices):
    # The model's decisions are a column of the dataset (no inference needed).
    DATASET_DECISIONS = "dataset_decisions", "Decisions already in the dataset"
    SKOPS_PIPELINE = "skops_pipeline", "scikit-learn pipeline (skops)"
    HF_CLASSIFIER = "hf_classifier", "Hugging Face sequence classifier"
    HF_CAUSAL_LM = "hf_causal_lm", "Hugging Face causal LM"
    HF_ENCODER = "hf_encoder", "Sentence encoder"
    # A text classifier shipped by an installed package (e.g. alt-profanity-check), named in config["builtin"].
    BUILTIN_TEXT = "builtin_text", "Built-in text classifier (installed package)"


# Kinds whose inference runs on torch: their audits go to the gpu queue (CPU workers consume it too).
GPU_MODEL_KINDS = (ModelKind.HF_CLASSIFIER, ModelKind.HF_CAUSAL_LM, ModelKind.HF_ENCODER)


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class MissingPolicy(models.TextChoices):
    # Rows with a missing decision, outcome or protected value are left out and counted in the report.
    DROP_ROWS = MISSING_DROP_ROWS, "Drop rows with a missing value in an audited column (counted)"
    # Missing protected values become their own group, so nobody silently disappears from the audit.
    GROUP = MISSING_AS_GROUP, f"Treat a missing protected value as its own group '{MISSING_GROUP_LABEL}'"


class ReviewStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"


class ReviewAction(models.TextChoices):
    SUBMIT = "submit", "Submitted for review"
    START = "start", "Review started"
    APPROVE = "approve", "Approved"
    REJECT = "reject", "Rejected"
    REQUEST_CHANGES = "request_changes", "Changes requested"
    COMMENT = "comment", "Comment"
