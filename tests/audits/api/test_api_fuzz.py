"""Property-based requests over the whole OpenAPI schema (schemathesis, bounded): whatever a client sends within or
around the documented shapes, the API answers it without a server error (issue 14: 62 of 21,997 such requests
once answered 5xx), and as documented: a documented status code, a documented content type, and a body valid
against the documented schema of that status (errors included: their `attr` and `code` must be documented ones).
Runs in-process against the WSGI app, signed in with a full-scope token of an auditor whose workspace holds a
dataset, a model, a plan and a signed report, so ids in paths can exist."""

import json

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from auditplatform.wsgi import application
from audits.services.tokens import token_create
from tests.audits.factories import AuditReportFactory

pytestmark = pytest.mark.integration


def _spec() -> dict:
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


schema = schemathesis.openapi.from_dict(_spec())
schema.app = application


@pytest.fixture
def auth(transactional_db, auditor, workspace):
    AuditReportFactory(user=auditor, workspace=workspace)
    _, key = token_create(user=auditor, scope="full", name="fuzz", expires_in_days=1, via="test")
    return {"Authorization": f"Token {key}"}


@schema.parametrize()
@hypothesis_settings(
    max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)
def test_no_request_is_answered_with_a_server_error_or_outside_the_schema(case, auth):
    case.call_and_validate(
        headers=auth,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
