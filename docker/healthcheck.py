"""Container healthcheck for the web (gunicorn) service.

Used by HEALTHCHECK in docker/Dockerfile. Exits 0 when gunicorn answers an
HTTP request on 127.0.0.1:8000 with a status below 500, 1 otherwise.

Redirects are NOT followed on purpose: with SECURE_SSL_REDIRECT a plain-HTTP
probe gets a 301, and 400 (DisallowedHost) also proves the server is up.
Set HEALTHCHECK_PATH to probe a dedicated endpoint once the app has one.
Standard library only, so it needs nothing beyond the image's Python.
"""

import http.client
import os
import sys


def main() -> int:
    path = os.environ.get("HEALTHCHECK_PATH", "/")
    port = int(os.environ.get("HEALTHCHECK_PORT", "8000"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": "localhost"})
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if status >= 500:
        print(f"unhealthy: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
