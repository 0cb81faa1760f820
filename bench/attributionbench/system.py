"""Where and on what the benchmark ran: load average, how busy the rest of the machine was, code fingerprint.

This 2-core machine is shared; multi-threaded torch suffers badly when another process holds a core (a parallel
region waits for its slowest thread: a forward+backward pass can take 5x longer). Each timed step therefore
records the CPUs the rest of the machine used during it (system-wide busy time from /proc/stat minus this
process's own CPU time), and the run records the load average before and after.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from contextlib import contextmanager

from probebench.system import _own_cpu_s, _system_busy_s  # one reading of /proc/stat for both benchmarks

from attributionbench import REPO_ROOT


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


@contextmanager
def contention(record: list, step: str):
    """Time a step; append ``{"step", "wall_s", "own_cpus", "other_cpus"}`` to ``record``."""
    wall, busy, own = time.perf_counter(), _system_busy_s(), _own_cpu_s()
    try:
        yield
    finally:
        seconds = max(time.perf_counter() - wall, 1e-9)
        own_used = _own_cpu_s() - own
        after = _system_busy_s()
        others = None if busy is None or after is None else max(after - busy - own_used, 0.0) / seconds
        record.append({"step": step, "wall_s": seconds, "own_cpus": own_used / seconds, "other_cpus": others})


def source_fingerprint() -> dict:
    """git HEAD, whether explainers/attributions is dirty, and a hash of its sources."""
    digest = hashlib.sha256()
    for path in sorted(REPO_ROOT.glob("explainers/attributions/**/*.py")):
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes())

    def git(*command):
        done = subprocess.run(["git", *command], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--", "explainers/attributions")
    return {
        "git_head": git("rev-parse", "HEAD"),
        "attribution_sources_dirty": bool(status) if status is not None else None,
        "attribution_sources_sha256": digest.hexdigest()[:16],
    }
