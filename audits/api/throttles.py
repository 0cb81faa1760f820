"""Rate limits (DRF throttles) counted in the `throttle` cache, which production keeps in Redis so that every web
worker shares one count. A refused request answers 429 with `Retry-After` (seconds).

A window opens with the first request counted and lasts the rate's period; requests are counted with the cache's
atomic `incr` (DRF's own SimpleRateThrottle stores every request's timestamp and rewrites the list on each
request: a read-modify-write race between workers, and kilobytes per request at thousands a minute). On Redis a
request costs one round trip: a Lua script increments the count, opens the window on the first request and returns
the seconds left (Django's cache API would take three: add, then incr's exists and incr, each with a new client)."""

import hashlib
import time

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# KEYS[1]: the window's count; ARGV[1]: its length in seconds. Returns {count, seconds left in the window}.
_COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


def _count_script(cache: RedisCache):
    """The counting script registered on this cache's Redis client, kept on the cache object (Django makes one per
    thread; redis-py's pool reopens its connections in a forked worker), so a request builds no client."""
    script = getattr(cache, "_audit_count_script", None)
    if script is None:
        script = cache._cache.get_client(write=True).register_script(_COUNT_SCRIPT)
        cache._audit_count_script = script
    return script


def count_request(cache, key: str, duration: int) -> tuple[int, float]:
    """Count one request in `key`'s fixed window of `duration` seconds: (count so far, seconds left)."""
    if isinstance(cache, RedisCache):
        count, left = _count_script(cache)(keys=[cache.make_and_validate_key(key)], args=[duration])
        return int(count), float(left)
    now = time.time()
    if cache.add(key, 0, timeout=duration):  # a new window: its count and its start expire together
        cache.set(f"{key}:start", now, timeout=duration)
    try:
        count = cache.incr(key)
    except ValueError:  # the window closed between add and incr
        cache.set(key, 1, timeout=duration)
        cache.set(f"{key}:start", now, timeout=duration)
        count = 1
    return count, cache.get(f"{key}:start", now) + duration - now


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/minute' -> (10, 60)."""
    number, period = rate.split("/")
    return int(number), _PERIODS[period[0]]


class FixedWindowThrottle(BaseThrottle):
    scope = ""

    def get_ident_key(self, request, view) -> str | None:
        """What is counted (a user, an address, a username); None lets the request through uncounted."""
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.get_ident_key(request, view)
        if ident is None:
            return True
        allowed, duration = parse_rate(api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        count, left = count_request(caches["throttle"], f"throttle:{self.scope}:{ident}", duration)
        if count <= allowed:
            return True
        self._wait = max(left, 1)
        return False

    def wait(self) -> float:
        return self._wait


class UserThrottle(FixedWindowThrottle):
    """Requests per authenticated user."""

    scope = "user"

    def get_ident_key(self, request, view):
        return str(request.user.pk) if request.user and request.user.is_authenticated else None


class AnonThrottle(FixedWindowThrottle):
    """Requests per client address without a login."""

    scope = "anon"

    def get_ident_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        return self.get_ident(request)


class LoginThrottle(FixedWindowThrottle):
    """Password logins per client address (successful or not)."""

    scope = "login"

    def get_ident_key(self, request, view):
        return self.get_ident(request)


class LoginUsernameThrottle(FixedWindowThrottle):
    """Password logins per username, whatever the address, so that guessing from many addresses is bounded too."""

    scope = "login_username"

    def get_ident_key(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str) or not username:
            return None
        return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
