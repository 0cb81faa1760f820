"""Choice sets of the audit domain."""

from django.db import models

from explainers.pipeline.spec import (
    MISSING_AS_GROUP,
    MISSING_DROP_ROWS,
    MISSING_GROUP_LABEL,
    OUTCOME_BINARY,
    OUTCOME_CONTINUOUS,
)


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


class IngestStatus(models.TextChoices):
    """Where an upload stands: a large file is validated and profiled by a worker (audits.services.dataset_ingest)."""

    VALIDATING = "validating", "Validating"
    READY = "ready", "Ready"
    REFUSED = "refused", "Refused"


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


class VerdictErrorControl(models.TextChoices):
    # design.md §4 "Verdicts hold as a family"; the values are explainers.audit_settings.VERDICT_ERROR_CONTROLS.
    PER_COMPARISON = "per_comparison", "Per comparison: each verdict at 1 - alpha on its own"
    FAMILYWISE = "familywise", "Family-wise: every pass and fail holds jointly at 1 - alpha (simultaneous intervals)"
    FDR = "fdr", "False discovery: Benjamini-Yekutieli false coverage-rate intervals"


class ScheduleKind(models.TextChoices):
    CRON = "cron", "Cron expression"
    INTERVAL = "interval", "Every N seconds"


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


class ExportFormat(models.TextChoices):
    """Every export of a report (design.md section 7); all are rendered from the one canonical JSON."""

    JSON = "json", "Canonical JSON (the signed bytes)"
    MODEL_CARD = "model_card", "Model Card Toolkit JSON (v0.0.2)"
    HF_CARD = "hf_card", "Hugging Face model card (README.md)"
    CSV = "csv", "Findings (CSV)"
    DSSE = "dsse", "Signed DSSE envelope(s)"
    HTML = "html", "Self-contained HTML (the signed rendering)"
    HTML_REVIEW = "html_review", "Self-contained HTML with the review appendix"
    PDF = "pdf", "PDF"
    CYCLONEDX = "cyclonedx", "CycloneDX 1.6 ML-BOM (JSON)"
    SPDX = "spdx", "SPDX 3.0.1 AI profile (JSON-LD)"
    LL144 = "ll144", "NYC Local Law 144 bias audit summary (JSON)"
    LL144_CSV = "ll144_csv", "NYC Local Law 144 bias audit summary (CSV)"
    LL144_HTML = "ll144_html", "NYC Local Law 144 bias audit summary (HTML)"
    EVIDENCE = "evidence", "EU AI Act evidence pack (signed ZIP, approved reports)"


class EventAction(models.TextChoices):
    """The trail's vocabulary: every action an AuditEvent may record (services.events.event_record refuses others)."""

    WORKSPACE_CREATED = "workspace.created", "Workspace created"
    MEMBERSHIP_SET = "membership.set", "Membership set"
    MEMBERSHIP_REMOVED = "membership.removed", "Member removed"
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    DATASET_CREATED = "dataset.created", "Dataset uploaded"
    DATASET_REFUSED = "dataset.refused", "Dataset upload refused"
    MODEL_REFUSED = "model.refused", "Model registration refused"
    MODEL_REGISTERED = "model.registered", "Model registered"
    LEXICON_CREATED = "lexicon.created", "Lexicon created"
    PLAN_CREATED = "plan.created", "Plan created"
    RUN_QUEUED = "run.queued", "Run queued"
    RUN_STARTED = "run.started", "Run started"
    RUN_SUCCEEDED = "run.succeeded", "Run succeeded"
    RUN_FAILED = "run.failed", "Run failed"
    RUN_REQUEUED = "run.requeued", "Run requeued after a lost worker"
    RUN_ARTIFACT_DOWNLOADED = "run.artifact_downloaded", "Run artifact downloaded"
    REPORT_CREATED = "report.created", "Report created"
    REPORT_VIEWED = "report.viewed", "Report viewed"
    # A batch of the access log (ReportAccess rows, one per opening) folded into the chain: range, count, sha256.
    REPORT_VIEWS_RECORDED = "report.views_recorded", "Report views recorded"
    REPORT_EXPORTED = "report.exported", "Report exported"
    REPORT_SIGNED = "report.signed", "Report signed"
    REPORT_APPROVAL_SIGNED = "report.approval_signed", "Approval signed"
    # A new report of a plan differs for the worse from the plan's last approved report (its `regressions` section).
    REPORT_REGRESSION_FOUND = "report.regression_found", "Regression found against the last approved report"
    REVIEW_SUBMIT = "review.submit", "Submitted for review"
    REVIEW_START = "review.start", "Review started"
    REVIEW_APPROVE = "review.approve", "Approved"
    REVIEW_REJECT = "review.reject", "Rejected"
    REVIEW_REQUEST_CHANGES = "review.request_changes", "Changes requested"
    REVIEW_COMMENT = "review.comment", "Review comment"
    REVIEW_REFUSED = "review.refused", "Review action refused"
    WEBHOOK_CREATED = "webhook.created", "Webhook created"
    WEBHOOK_UPDATED = "webhook.updated", "Webhook changed"
    WEBHOOK_DELETED = "webhook.deleted", "Webhook deleted"
    WEBHOOK_TESTED = "webhook.tested", "Webhook test sent"
    PLAN_REAUDIT_SKIPPED = "plan.reaudit_skipped", "Re-audit on a new version skipped"
    SCHEDULE_CREATED = "schedule.created", "Schedule created"
    SCHEDULE_UPDATED = "schedule.updated", "Schedule changed"
    SCHEDULE_PAUSED = "schedule.paused", "Schedule paused"
    SCHEDULE_RESUMED = "schedule.resumed", "Schedule resumed"
    SCHEDULE_DELETED = "schedule.deleted", "Schedule deleted"
    SCHEDULE_SKIPPED = "schedule.skipped", "Scheduled run skipped"
    # A what-if of one input on a model (hashes only, never the input) and a what-if saved as report evidence.
    MODEL_WHAT_IF = "model.what_if", "What-if run on a model"
    WHAT_IF_EVIDENCE_SAVED = "report.what_if_evidence_saved", "What-if saved as report evidence"


# The trail event of each review step (services.reviews).
REVIEW_EVENTS = {
    ReviewAction.SUBMIT: EventAction.REVIEW_SUBMIT,
    ReviewAction.START: EventAction.REVIEW_START,
    ReviewAction.APPROVE: EventAction.REVIEW_APPROVE,
    ReviewAction.REJECT: EventAction.REVIEW_REJECT,
    ReviewAction.REQUEST_CHANGES: EventAction.REVIEW_REQUEST_CHANGES,
    ReviewAction.COMMENT: EventAction.REVIEW_COMMENT,
}


class EventObjectType(models.TextChoices):
    """What a trail event is about. The values are stable labels kept in the hash chain, so renaming a model class
    never changes the trail's vocabulary (they equal the class names the trail has always stored)."""

    WORKSPACE = "Workspace", "Workspace"
    MEMBERSHIP = "Membership", "Membership"
    DATASET = "Dataset", "Dataset"
    MODEL = "ModelArtifact", "Model"
    LEXICON = "WorkspaceLexicon", "Lexicon"
    PLAN = "AuditPlan", "Plan"
    RUN = "AuditRun", "Run"
    REPORT = "AuditReport", "Report"
    REVIEW = "ReportReview", "Review"
    SCHEDULE = "AuditSchedule", "Schedule"
    # Account-level events (API tokens): about the user, never the token, whose key is its primary key.
    USER = "User", "User"
    WEBHOOK = "WebhookEndpoint", "Webhook"


class WebhookEventType(models.TextChoices):
    """What a webhook endpoint can subscribe to (the `type` of each Standard Webhooks payload)."""

    RUN_SUCCEEDED = "run.succeeded", "A run succeeded (its report is stored)"
    RUN_FAILED = "run.failed", "A run failed"
    REVIEW_DECIDED = "review.decided", "A review was decided (approved, rejected, changes requested)"
    REGRESSION_FOUND = "regression.found", "A run found regressions against the last approved report"
    # Sent only by the "Send test" action, to the one endpoint tested; nobody subscribes to it.
    TEST = "webhook.test", "Test message"


# The events an endpoint may subscribe to (webhook.test goes to the endpoint tested, subscribed or not).
WEBHOOK_SUBSCRIBABLE = tuple(e for e in WebhookEventType if e != WebhookEventType.TEST)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed"


class TokenScope(models.TextChoices):
    """What an API token may do. A read-only (integration) token reads reports, exports, runs and the trail; any
    unsafe method (starting an audit, reviewing, creating or changing anything) answers 403."""

    READ = "read", "Read only (integration)"
    FULL = "full", "Full (acts as you)"


class OutcomeType(models.TextChoices):
    # Decisions and outcomes are favourable or not (design.md section 4's count-table metrics).
    BINARY = OUTCOME_BINARY, "Binary decisions and outcomes"
    # A continuous score (and outcome): mean gaps, scoring rates, distribution distances, group errors.
    CONTINUOUS = OUTCOME_CONTINUOUS, "Continuous scores and outcomes"
