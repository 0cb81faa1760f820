"""Load benchmark of the report list and report detail: gunicorn (2 workers) on loopback, N concurrent clients.

Run from the repository root, with DATABASE_URL pointing at a PostgreSQL database (migrated here if needed)::

    .venv/bin/python bench/load_bench.py                         # 50 clients, 20 s, 40 reports
    .venv/bin/python bench/load_bench.py --clients 2 --duration 2 --reports 3   # smoke run

What it does, see bench/README.md for the details:

1. Settings: the PRODUCTION settings module (auditplatform.settings.production, DEBUG off, persistent database
   connections, the shipped auditplatform/gunicorn.py), on loopback without TLS: SECURE_SSL_REDIRECT and the secure
   cookie flags off, a signing key generated once in var/bench/, the API throttle raised (AUDIT_API_RATE_USER,
   default 1000000/minute) so that the bench measures the views, not the 429s. The broker is kombu's in-memory
   transport: nothing is enqueued by reads, and seeding leaves no message behind.
2. Seeding: a workspace `load-bench` with an auditor and --reports reports made by the real services (one dataset,
   one plan, runs executed in this process: stored, hashed, signed), reused by later runs; an API token and a
   session for the auditor.
3. gunicorn with --workers workers, then --clients concurrent clients (asyncio + aiohttp, one keep-alive
   connection each: wrk or ab would need one URL or a Lua script per endpoint, and report no per-endpoint
   percentiles) for --duration seconds, each cycling over: the API report list (`GET /api/v1/reports/`), the API
   report detail (`GET /api/v1/reports/{id}/`) and the report page (`GET /reports/{id}/`), ids at random.
4. Prints, per endpoint: requests, requests/s, p50, p95, p99, max (ms) and errors (any status but 200, or a
   transport error); writes bench/results/load_bench.json. Target (issue): p95 < 100 ms, 0 errors. The client
   runs on the same machine: its own CPU use and the machine's load (printed) make the figures pessimistic.

It is a benchmark, not a test: targets are marked PASS/MISS and never fail the run; exceptions do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
KEY_FILE = ROOT / "var" / "bench" / "signing.pem"
WORKSPACE = "load-bench"
USERNAME = "load-bench-auditor"
TARGET_P95_MS = 100.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _key_file() -> Path:
    if not KEY_FILE.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        KEY_FILE.write_bytes(pem)
        KEY_FILE.chmod(0o600)
    return KEY_FILE


def server_env(args, port: int) -> dict[str, str]:
    """The environment of the seeding (this process) and of gunicorn: production settings on plain loopback."""
    database = os.environ.get("DATABASE_URL")
    if not database:
        raise SystemExit("DATABASE_URL is not set: point it at a PostgreSQL database for the bench")
    cache = os.environ.get("AUDIT_THROTTLE_CACHE_URL") or os.environ.get("AUDIT_PREDICTION_CACHE_URL", "")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "auditplatform.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database,
        "SECURE_SSL_REDIRECT": "False",  # loopback, no TLS proxy in front
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
        "AUDIT_SIGNING_KEY_FILE": str(_key_file()),
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "cache+memory://",
        "AUDIT_PREDICTION_CACHE_URL": "locmemcache://bench",
        # Throttle counters in Redis when one is configured (as in production: shared by the workers).
        "AUDIT_THROTTLE_CACHE_URL": cache if cache.startswith("rediscache://") else "locmemcache://throttle",
        "AUDIT_API_RATE_USER": args.rate,
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }


def seed(n_reports: int) -> dict:
    """The bench workspace with at least `n_reports` reports; a fresh token and session for its auditor."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.db import transaction
    from knox.models import AuthToken

    from audits.models import AuditReport, Workspace
    from audits.services.audit_execution import audit_run_execute
    from audits.services.audit_runs import audit_run_create
    from audits.services.tokens import token_create, token_revoke
    from audits.services.workspaces import workspace_create
    from tests.audits.factories import AuditPlanFactory

    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    workspace = Workspace.objects.filter(slug=WORKSPACE).first() or workspace_create(
        name="Load bench", slug=WORKSPACE, owner=user
    )
    have = AuditReport.objects.filter(workspace=workspace).count()
    started = time.perf_counter()
    if have < n_reports:
        plan = AuditPlanFactory(user=user, workspace=workspace)
        for _ in range(n_reports - have):
            with transaction.atomic():
                run = audit_run_create(user=user, plan=plan)
            audit_run_execute(run_id=run.pk, worker="load-bench")
    seeded = time.perf_counter() - started
    for token in AuthToken.objects.filter(user=user):
        token_revoke(user=user, token_id=token.token_key)
    _, key = token_create(user=user, scope="read", name="load bench", expires_in_days=1, via="bench")
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    ids = list(AuditReport.objects.filter(workspace=workspace).values_list("id", flat=True))
    return {
        "token": key,
        "cookie": {settings.SESSION_COOKIE_NAME: session.session_key},
        "report_ids": ids,
        "seeded": n_reports - min(have, n_reports),
        "seed_seconds": round(seeded, 1),
    }


def start_gunicorn(env: dict, port: int, log) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "-c", "python:auditplatform.gunicorn", "auditplatform.wsgi"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log.name}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start listening within 60 s")


# --endpoints short name -> (row label, path). The target is on the API report list and detail (the
# default); the report page (HTML, session) and the floor (the signing-key endpoint: token authentication, throttle
# and the framework, no report read) are measured on request.
ALL_ENDPOINTS = {
    "list": ("api report list", lambda ids: "/api/v1/reports/"),
    "detail": ("api report detail", lambda ids: f"/api/v1/reports/{random.choice(ids)}/"),
    "page": ("report page", lambda ids: f"/reports/{random.choice(ids)}/"),
    "floor": ("floor: signing key", lambda ids: "/api/v1/signing-key/"),
}
DEFAULT_ENDPOINTS = "list,detail"
ENDPOINTS: dict = {}


def choose_endpoints(names: str) -> dict:
    chosen = {}
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in ALL_ENDPOINTS:
            raise SystemExit(f"unknown endpoint '{name}': choose from {', '.join(ALL_ENDPOINTS)}")
        label, path = ALL_ENDPOINTS[name]
        chosen[label] = path
    if not chosen:
        raise SystemExit("--endpoints names no endpoint")
    return chosen


async def _client(session, base: str, seeded: dict, stop_at: float, samples: dict, errors: dict, offset: int):
    names = list(ENDPOINTS)
    i = offset
    while time.perf_counter() < stop_at:
        name = names[i % len(names)]
        i += 1
        path = ENDPOINTS[name](seeded["report_ids"])
        api = path.startswith("/api/")
        headers = {"Authorization": f"Token {seeded['token']}"} if api else {}
        started = time.perf_counter()
        try:
            async with session.get(base + path, headers=headers, allow_redirects=False) as response:
                await response.read()
                status = response.status
        except Exception as exc:  # noqa: BLE001 - a transport error is an error of the run, counted and shown
            status = f"{type(exc).__name__}: {exc}"[:120]
        elapsed = time.perf_counter() - started
        if status == 200:
            samples[name].append(elapsed)
        else:
            errors[name].append(str(status))


async def load(base: str, seeded: dict, clients: int, duration: float, warmup: float) -> tuple[dict, dict, float]:
    import aiohttp

    samples = {name: [] for name in ENDPOINTS}
    errors = {name: [] for name in ENDPOINTS}
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar, timeout=timeout) as session:
        session.cookie_jar.update_cookies(seeded["cookie"])
        # Warm-up, untimed: the same load for `warmup` seconds, so every worker process has loaded its code, opened its
        # database connection and met the reports once before timing.
        warm = ({name: [] for name in ENDPOINTS}, {name: [] for name in ENDPOINTS})
        warm_until = time.perf_counter() + warmup
        await asyncio.gather(*(_client(session, base, seeded, warm_until, *warm, k) for k in range(clients)))
        started = time.perf_counter()
        stop_at = started + duration
        await asyncio.gather(*(_client(session, base, seeded, stop_at, samples, errors, k) for k in range(clients)))
        elapsed = time.perf_counter() - started
    return samples, errors, elapsed


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] * 1000


def summarise(samples: dict, errors: dict, elapsed: float) -> dict:
    rows = {}
    for name in ENDPOINTS:
        ok, failed = samples[name], errors[name]
        rows[name] = {
            "requests": len(ok) + len(failed),
            "requests_per_s": round((len(ok) + len(failed)) / elapsed, 1),
            "p50_ms": round(_percentile(ok, 0.50), 1),
            "p95_ms": round(_percentile(ok, 0.95), 1),
            "p99_ms": round(_percentile(ok, 0.99), 1),
            "max_ms": round(max(ok) * 1000, 1) if ok else float("nan"),
            "errors": len(failed),
            "error_samples": sorted(set(failed))[:5],
        }
    everything = [v for values in samples.values() for v in values]
    total_errors = sum(len(v) for v in errors.values())
    rows["all"] = {
        "requests": len(everything) + total_errors,
        "requests_per_s": round((len(everything) + total_errors) / elapsed, 1),
        "p50_ms": round(_percentile(everything, 0.50), 1),
        "p95_ms": round(_percentile(everything, 0.95), 1),
        "p99_ms": round(_percentile(everything, 0.99), 1),
        "max_ms": round(max(everything) * 1000, 1) if everything else float("nan"),
        "errors": total_errors,
        "error_samples": [],
    }
    return rows


def report(rows: dict, meta: dict) -> None:
    print(
        f"\nsettings: {meta['settings']} (DEBUG off, no TLS on loopback); gunicorn workers: {meta['workers']}; "
        f"clients: {meta['clients']}; duration: {meta['duration_s']} s; reports: {meta['reports']}"
    )
    print(f"cpus: {meta['cpus']}; load average before/after: {meta['load_before']} / {meta['load_after']}")
    print(f"\n{'endpoint':<20}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'errors':>8}  target p95 < {TARGET_P95_MS:.0f} ms, 0 errors")  # fmt: skip
    for name, row in rows.items():
        verdict = "PASS" if row["p95_ms"] < TARGET_P95_MS and row["errors"] == 0 else "MISS"
        print(
            f"{name:<20}{row['requests']:>9}{row['requests_per_s']:>9}{row['p50_ms']:>9}{row['p95_ms']:>9}"
            f"{row['p99_ms']:>9}{row['max_ms']:>9}{row['errors']:>8}  {verdict}"
        )
        for sample in row["error_samples"]:
            print(f"{'':<20}error: {sample}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load (after a short warm-up)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed load before timing")
    parser.add_argument("--reports", type=int, default=40, help="reports in the bench workspace (seeded once)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--rate", default="1000000/minute", help="AUDIT_API_RATE_USER for the server")
    parser.add_argument(
        "--endpoints", default=DEFAULT_ENDPOINTS, help=f"comma-separated, of: {', '.join(ALL_ENDPOINTS)}"
    )
    parser.add_argument("--out", default=str(RESULTS / "load_bench.json"))
    args = parser.parse_args(argv)
    ENDPOINTS.update(choose_endpoints(args.endpoints))

    port = _free_port()
    env = server_env(args, port)
    os.environ.update(env)
    seeded = seed(args.reports)
    print(f"seeded {seeded['seeded']} report(s) in {seeded['seed_seconds']} s; {len(seeded['report_ids'])} in use")
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / "load_bench_gunicorn.log"
    load_before = [round(x, 2) for x in os.getloadavg()]
    with open(log_path, "w") as log:
        server = start_gunicorn(env, port, log)
        try:
            samples, errors, elapsed = asyncio.run(
                load(f"http://127.0.0.1:{port}", seeded, args.clients, args.duration, args.warmup)
            )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    meta = {
        "settings": env["DJANGO_SETTINGS_MODULE"],
        "workers": args.workers,
        "clients": args.clients,
        "duration_s": round(elapsed, 1),
        "reports": len(seeded["report_ids"]),
        "endpoints": list(ENDPOINTS),
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "gunicorn_log": str(log_path),
    }
    rows = summarise(samples, errors, elapsed)
    report(rows, meta)
    Path(args.out).write_text(json.dumps({"meta": meta, "endpoints": rows}, indent=2) + "\n")
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
