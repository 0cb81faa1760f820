"""Progress bars of transformers off while a runner loads, converts or saves a model.

The bars are written to the terminal of whoever loads the model (the CLI while it registers a model, the worker
while it audits), where they interleave with the command's own lines. transformers' own bars follow its switch;
the GGUF reader calls ``tqdm`` directly, so its module's name is pointed at a disabled bar for the duration.
"""

from __future__ import annotations

import contextlib
import functools

from tqdm.auto import tqdm


@contextlib.contextmanager
def quiet_transformers(*, warnings: bool = True):
    """Silence transformers' progress bars (and, with ``warnings=False``, its load report) for one block.

    The caller's settings are restored afterwards. Not meant for concurrent threads changing the same settings.
    """
    from transformers.utils import logging as hf_logging  # transformers: only around a model load or save

    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_reader
    except ImportError:  # pragma: no cover - the GGUF reader needs the gguf package
        gguf_reader = None
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    reader_bar = getattr(gguf_reader, "tqdm", None)
    if not warnings:
        hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if reader_bar is not None:
        gguf_reader.tqdm = functools.partial(tqdm, disable=True)
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
        if reader_bar is not None:
            gguf_reader.tqdm = reader_bar
