"""A report executed in this process, and an approval entry on it that was never signed."""

import pytest

from audits.choices import ReviewAction, ReviewStatus
from audits.models import AuditReport, ReportReview, ReviewEntry
from tests.audits.factories import AuditReportFactory


@pytest.fixture
def report(auditor, workspace) -> AuditReport:
    return AuditReportFactory(user=auditor, workspace=workspace)


@pytest.fixture
def approval(report, auditor, reviewer) -> ReviewEntry:
    review = ReportReview.objects.create(
        workspace=report.workspace, report=report, submitted_by=auditor, status=ReviewStatus.APPROVED
    )
    return ReviewEntry.objects.create(
        review=review, action=ReviewAction.APPROVE, actor=reviewer, comment="Checked the DPD bands; fine."
    )
