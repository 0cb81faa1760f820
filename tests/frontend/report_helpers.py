"""Reports of every kind for the report page tests: a real dataset-decisions audit run here, and the stored
probe reports (tabular, text, language model, encoder) attached to a run through report_create."""

from audits.models import AuditReport
from audits.services.reports import report_create
from tests.audits.exports.documents import load_report
from tests.audits.factories import AuditReportFactory, AuditRunFactory

STORED = {
    "tabular": "tabular_probe_report.json",
    "text": "text_probe_report.json",
    "language_model": "language_model_probe_report.json",
    "encoder": "encoder_probe_report.json",
}


def decisions_report(user, workspace) -> AuditReport:
    """A dataset-decisions audit of the planted credit frame (men approved more often than women)."""
    return AuditReportFactory(user=user, workspace=workspace)


def stored_report(user, workspace, kind: str, tag: str = "") -> AuditReport:
    """The stored report of `kind` as the report of a new run requested by `user` (`tag` makes its bytes unique)."""
    document, _, _ = load_report(STORED[kind])
    if tag:
        document["plan"]["name"] = f"{document['plan']['name']} {tag}"
    return report_create(run=AuditRunFactory(user=user, workspace=workspace), document=document)
