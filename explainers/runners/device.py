"""Where models run, and in which precision (design.md §9: autocast on CUDA, all available cores on CPU)."""

from __future__ import annotations

import contextlib
import os

import torch

_threads_set = False


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` is CUDA when available, else CPU; any other value is passed to ``torch.device``.

    On CPU, torch's thread pool is sized to the cores this process may use (its CPU affinity, which a container
    or ``taskset`` restricts) rather than to the machine's cores, which oversubscribes a limited container.
    Done once per process: torch's thread count is global.

    Raises:
        ValueError: if CUDA is asked for explicitly and is not available.
    """
    global _threads_set
    if device == "auto":
        chosen = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        chosen = torch.device(device)
        if chosen.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {device!r} was asked for but CUDA is not available")
    if chosen.type == "cpu" and not _threads_set:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        torch.set_num_threads(max(cores, 1))
        _threads_set = True
    return chosen


def autocast_context(device):
    """Mixed precision on CUDA (bf16 where the GPU has it, else fp16); a no-op context on CPU.

    On CPU autocast to bf16 is slower than float32 on most server cores without AMX, and changes the numbers, so
    CPU runs stay in float32.
    """
    device = torch.device(device)
    if device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)
