"""The OpenAPI schema builds without warnings and the docs page is served."""

from django.core.management import call_command


def test_openapi_schema_builds_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))

    text = out.read_text()
    assert "/api/v1/plans/{id}/run/" in text and "/api/v1/reports/{id}/download/" in text


def test_schema_and_docs_are_served_to_signed_in_users_only(client, auditor_client, auditor):
    for url in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert client.get(url).status_code in (401, 403), url
        assert auditor_client.get(url).status_code == 200, url
    client.force_login(auditor)  # the browser's session: the docs pages work for a signed-in analyst
    assert client.get("/api/docs/").status_code == 200
