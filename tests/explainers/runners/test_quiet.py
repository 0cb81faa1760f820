"""Loading, converting or saving a transformers model draws no progress bars into the caller's terminal."""

from transformers import modeling_gguf_pytorch_utils as gguf_reader
from transformers.utils import logging as hf_logging

from explainers.runners.quiet import quiet_transformers


def _bars() -> None:
    for _ in hf_logging.tqdm(range(3), desc="Loading weights"):
        pass
    for _ in gguf_reader.tqdm(range(3), desc="Converting and de-quantizing GGUF tensors..."):
        pass


def test_bars_are_silent_inside_and_back_afterwards(capsys):
    hf_logging.enable_progress_bar()
    verbosity = hf_logging.get_verbosity()

    with quiet_transformers(warnings=False):
        _bars()
        assert hf_logging.get_verbosity() == hf_logging.ERROR
    quiet = capsys.readouterr().err
    _bars()
    loud = capsys.readouterr().err

    assert quiet == ""
    assert "Loading weights" in loud and "GGUF tensors" in loud
    assert hf_logging.is_progress_bar_enabled() and hf_logging.get_verbosity() == verbosity


def test_warnings_stay_unless_asked_and_a_caller_without_bars_keeps_none():
    hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    try:
        with quiet_transformers():
            assert hf_logging.get_verbosity() == verbosity
        assert not hf_logging.is_progress_bar_enabled()
    finally:
        hf_logging.enable_progress_bar()
