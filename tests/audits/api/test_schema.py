"""The OpenAPI schema builds without warnings, documents the one error shape, and the docs page is served."""

import yaml
from django.core.management import call_command


def test_openapi_schema_builds_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))

    text = out.read_text()
    assert "/api/v1/plans/{id}/run/" in text and "/api/v1/reports/{id}/download/" in text
    paths = yaml.safe_load(text)["paths"]
    assert {"/api/v1/trail/", "/api/v1/auth/token/", "/api/v1/auth/logout/", "/api/v1/auth/tokens/"} <= set(paths)
    login = paths["/api/v1/auth/token/"]["post"]["responses"]
    assert {"200", "400", "429"} <= set(login)  # wrong password, throttled
    reports = paths["/api/v1/reports/"]["get"]
    assert {"verdict", "review_state", "updated_since", "cursor"} <= {p["name"] for p in reports["parameters"]}
    assert {"400", "401", "403", "429"} <= set(reports["responses"])
    errors = yaml.safe_load(text)["components"]["schemas"]
    unknown = [c for name, c in errors.items() if name.startswith("V1ReportsList") and name.endswith("ErrorComponent")]
    assert any("unknown_parameter" in c["properties"]["code"].get("enum", []) for c in unknown)
    assert errors["ErrorResponse429"]["properties"]["errors"]["items"]["$ref"].endswith("Error429")
    # A review is undecided until it is decided: its decider is documented as possibly null (issue 14).
    assert errors["ReportReview"]["properties"]["decided_by"]["nullable"] is True


def test_schema_and_docs_are_served_to_signed_in_users_only(client, auditor_client, auditor):
    for url in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert client.get(url).status_code in (401, 403), url
        assert auditor_client.get(url).status_code == 200, url
    client.force_login(auditor)  # the browser's session: the docs pages work for a signed-in analyst
    assert client.get("/api/docs/").status_code == 200
