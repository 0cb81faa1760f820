"""Rate limits in the cache production uses (Redis, shared by every web worker): wrong passwords on the token
endpoint are refused with 429 and Retry-After after the login rate, per address and per username; the user rate
answers 429 too. The counts live in Redis, so a second process (a fresh client) sees them."""

import os
from urllib.parse import urlsplit

import pytest
import redis
from django.core.cache import caches
from rest_framework.test import APIClient

from tests.api_errors import error_detail

# The Redis of the prediction cache (a database of the test run's own), as production uses the broker's Redis.
REDIS_URL = os.environ.get("AUDIT_PREDICTION_CACHE_URL", "rediscache://127.0.0.1:6379/14").replace(
    "rediscache://", "redis://"
)


@pytest.fixture
def redis_throttle(settings):
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "test-throttle",
        },
    }
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter("test-throttle:*"):
        client.delete(key)
    yield client
    for key in client.scan_iter("test-throttle:*"):
        client.delete(key)


def _login(password: str, username: str = "alice-auditor", address: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_wrong_passwords_in_a_row_are_throttled_with_retry_after(auditor, redis_throttle):
    assert "redis" in type(caches["throttle"]).__module__

    answers = [_login("wrong").status_code for _ in range(30)]

    assert answers[:10] == [400] * 10 and set(answers[10:]) == {429}
    refused = _login("pw-alice")  # even the right password waits: the address is over its rate
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["type"] == "client_error" and refused.json()["errors"][0]["code"] == "throttled"
    assert "Too many login attempts" in error_detail(refused)
    assert any(b"throttle:login:" in key for key in redis_throttle.scan_iter("test-throttle:*"))


def test_guessing_one_username_from_many_addresses_is_throttled_too(auditor, redis_throttle):
    answers = [_login("wrong", address=f"10.0.1.{i}").status_code for i in range(12)]

    assert answers[:10] == [400] * 10 and answers[10:] == [429, 429]
    assert _login("pw-rita", username="rita-reviewer", address="10.0.1.99").status_code == 400  # unknown user


def test_the_user_rate_answers_429_with_retry_after(auditor_client, redis_throttle, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/minute"},
    }

    answers = [auditor_client.get("/api/v1/workspaces/") for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert urlsplit(REDIS_URL).scheme == "redis"
