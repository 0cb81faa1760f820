"""Where and on what the benchmark ran: CPU model, peak resident memory, fingerprint of the measured code."""

from __future__ import annotations

import platform
import resource
import subprocess
from pathlib import Path

from metricsbench import REPO_ROOT


def source_fingerprint() -> dict:
    """Which code was measured: git HEAD, whether the tree is dirty, and a hash of the engine's sources."""
    import hashlib

    digest = hashlib.sha256()
    files = sorted([*REPO_ROOT.glob("explainers/metrics/**/*.py"), *REPO_ROOT.glob("explainers/pipeline/**/*.py")])
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes())

    def git(*command):
        done = subprocess.run(["git", *command], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    status = git("status", "--porcelain", "--", "explainers/metrics", "explainers/pipeline")
    return {
        "git_head": git("rev-parse", "HEAD"),
        "engine_sources_dirty": bool(status) if status is not None else None,
        "engine_sources_sha256": digest.hexdigest()[:16],
    }


def peak_rss_bytes() -> int:
    """VmHWM of this process (kernel's high-water mark of resident memory).

    Not getrusage's ru_maxrss: Linux carries the pre-exec high-water mark of the forked copy of the parent
    over into a child's ru_maxrss, so a child started from a 2 GB benchmark process would report 2 GB.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
