"""Sign-in throttling (issue 14): repeated wrong passwords lock that username from that address for a while, with a
clear page; other people and other addresses are unaffected, and a lockout leaves the account as it was."""

import pytest
from django.test import Client

from audits.services.workspaces import user_get_or_create

pytestmark = pytest.mark.django_db


def _attempt(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_ten_wrong_passwords_lock_the_username_from_that_address(settings):
    user_get_or_create(username="lena", password="right-horse-battery")
    user_get_or_create(username="omar", password="omar-pass-123")
    client = Client()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "lena", "wrong").status_code == 200  # the form again, with its error
    locked = _attempt(client, "lena", "wrong")

    assert locked.status_code == 429
    assert "Sign-in locked for a while" in locked.content.decode()
    assert _attempt(client, "lena", "right-horse-battery").status_code == 429  # even the right password, for now
    assert _attempt(Client(), "lena", "right-horse-battery", ip="10.0.0.2").status_code == 302  # other address
    assert _attempt(Client(), "omar", "omar-pass-123").status_code == 302  # other user, same address


def test_a_successful_sign_in_resets_the_count(settings):
    user_get_or_create(username="lena", password="right-horse-battery")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, "lena", "wrong")
    assert _attempt(client, "lena", "right-horse-battery").status_code == 302
    client.logout()

    assert _attempt(client, "lena", "wrong").status_code == 200  # counting starts again


def test_the_api_token_endpoint_counts_wrong_passwords_too(settings, client):
    user_get_or_create(username="lena", password="right-horse-battery")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "lena", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")

    response = client.post(
        "/api/v1/auth/token/",
        {"username": "lena", "password": "right-horse-battery"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.1",
    )

    # Locked: even the right password gets no token (the refusal's code is the token endpoint's own).
    assert response.status_code in (400, 403, 429), response.content
    assert "token" not in response.json()


@pytest.mark.browser
def test_the_lockout_page_in_chromium(live_server, browser_page, settings):
    from tests.frontend.helpers import log_in
    from tests.frontend.test_workflow_browser import Pages

    settings.AXES_FAILURE_LIMIT = 2
    user_get_or_create(username="lena", password="right-horse-battery")
    pages = Pages(browser_page)
    log_in(browser_page, live_server.url, "lena", "wrong")
    browser_page.wait_for_selector("text=didn't match")
    log_in(browser_page, live_server.url, "lena", "wrong")

    browser_page.wait_for_selector("h1:has-text('Sign-in locked for a while')")
    assert "0:15:00" in browser_page.inner_text("main")
    pages.check("27-sign-in-locked")
    assert pages.problems == {}
