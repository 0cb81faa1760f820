"""`manage.py audit --regression-tolerance` and `--verdict-error-control`: the plan states them; a bad value stops
with the reason."""

import pytest
from django.core.management import CommandError

from audits.models import AuditPlan
from tests.audits.management.test_audit_command import _audit, credit_csv  # noqa: F401


def test_the_cli_plan_states_the_chosen_tolerance(credit_csv, eager_celery, transactional_db):  # noqa: F811
    _audit(credit_csv, "--regression-tolerance", "0.2")

    plan = AuditPlan.objects.get()
    assert plan.regression_tolerance == 0.2
    assert plan.runs.get().report.document["plan"]["regression_tolerance"] == 0.2


def test_an_out_of_range_tolerance_stops_the_command_with_the_reason(credit_csv, transactional_db):  # noqa: F811
    with pytest.raises(CommandError, match="regression_tolerance must be between 0 and 1."):
        _audit(credit_csv, "--regression-tolerance", "2")

    assert not AuditPlan.objects.exists()


def test_the_cli_plan_states_the_chosen_verdict_error_control(credit_csv, eager_celery, transactional_db):  # noqa: F811
    _audit(credit_csv, "--verdict-error-control", "fdr")

    plan = AuditPlan.objects.get()
    document = plan.runs.get().report.document
    assert plan.verdict_error_control == "fdr" == document["plan"]["verdict_error_control"]
    assert document["verdict_error_control"]["rule"] == "fdr" and document["verdict_error_control"]["selected"] >= 0


def test_an_unknown_verdict_error_control_stops_the_command(credit_csv, transactional_db):  # noqa: F811
    with pytest.raises(CommandError, match="invalid choice: 'holm'"):
        _audit(credit_csv, "--verdict-error-control", "holm")

    assert not AuditPlan.objects.exists()
