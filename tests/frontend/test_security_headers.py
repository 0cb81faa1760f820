"""Every page and API answer carries the Content-Security-Policy; the API docs work under it."""

import pytest

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _directives(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/", "/login/", "/datasets/", "/api/v1/reports/", "/api/docs/"])
def test_pages_and_api_answers_carry_the_policy(auditor_page, url):
    response = auditor_page.get(url, follow=True)

    directives = _directives(response["Content-Security-Policy"])
    for name, value in POLICY.items():
        assert directives[name] == value, (url, name, directives)


def test_the_api_docs_page_has_no_inline_script(auditor_page):
    html = auditor_page.get("/api/docs/").content.decode()

    assert "<script" in html
    assert all("src=" in tag.split(">")[0] for tag in html.split("<script")[1:])
