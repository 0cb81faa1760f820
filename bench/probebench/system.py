"""How busy the machine was while a path was timed: the CPU time other processes took during each step.

This 2-core machine is shared (tests, builds); a step that ran while another process held a core is slower for
reasons that have nothing to do with the code measured, and multi-threaded torch suffers most: a parallel region
waits for its slowest thread, and a preempted thread stalls every region of a forward pass. Each step therefore
records how many CPUs the rest of the machine used during it (system-wide busy time from /proc/stat minus this
process's own CPU time), so the reader can tell a real ratio from a contended one.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager

QUIET_CPUS = 0.15  # other processes under this many CPUs: a step counts as run on a quiet machine
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _system_busy_s() -> float | None:
    """CPU seconds all processes have used since boot (user, nice, system, irq, softirq, steal); None off Linux."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / _TICK


def _own_cpu_s() -> float:
    times = os.times()
    return times.user + times.system


@contextmanager
def contention(record: dict, step: str):
    """Time a step and put ``{"wall_s", "own_cpus", "other_cpus"}`` under ``record[step]``."""
    wall, busy, own = time.perf_counter(), _system_busy_s(), _own_cpu_s()
    try:
        yield
    finally:
        seconds = time.perf_counter() - wall
        own_used = _own_cpu_s() - own
        after = _system_busy_s()
        # /proc/stat counts in clock ticks (10 ms): a step under half a second gives no usable share.
        known = busy is not None and after is not None and seconds >= 0.5
        others = max(after - busy - own_used, 0.0) / seconds if known else None
        record[step] = {"wall_s": seconds, "own_cpus": own_used / seconds, "other_cpus": others}


def wait_for_quiet(
    max_wait_s: float, *, window_s: float = 3.0, threshold: float = QUIET_CPUS
) -> tuple[float, float | None]:
    """Wait until other processes use under ``threshold`` CPUs over ``window_s`` seconds, at most ``max_wait_s``.

    Returns ``(seconds waited, others' CPUs in the last window)``; (0, None) when ``max_wait_s`` is 0 or the
    machine has no /proc/stat. A quiet moment before a step does not promise a quiet step; the step's own record
    (:func:`contention`) says what it got.
    """
    if max_wait_s <= 0 or _system_busy_s() is None:
        return 0.0, None
    began = time.perf_counter()
    while True:
        busy, own = _system_busy_s(), _own_cpu_s()
        time.sleep(window_s)
        others = max(_system_busy_s() - busy - (_own_cpu_s() - own), 0.0) / window_s
        waited = time.perf_counter() - began
        if others < threshold or waited >= max_wait_s:
            return waited, others
