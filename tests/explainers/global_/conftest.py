"""Planted models shared by the global-explanation and explanation-quality tests (trained once per session)."""

import pytest
import torch

from explainers.runners.device import resolve_device
from explainers.runners.hf_text import TextClassifierRunner
from tests.explainers.attributions.planted import make_planted_classifier, sentences


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    # Two shared cores: one torch thread each (see tests/explainers/attributions/test_text_attributions.py).
    resolve_device("cpu")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def corpus():
    rows = sentences()
    return [text for text, _, _ in rows], ["female" if pronoun == "she" else "male" for _, pronoun, _ in rows]


@pytest.fixture(scope="session")
def pronoun_runner(tmp_path_factory):
    folder = make_planted_classifier(tmp_path_factory.mktemp("global") / "pronoun", planted="pronoun")
    return TextClassifierRunner(folder, favourable_class="positive", device="cpu")


@pytest.fixture(scope="session")
def context_runner(tmp_path_factory):
    folder = make_planted_classifier(tmp_path_factory.mktemp("global") / "context", planted="context")
    return TextClassifierRunner(folder, favourable_class="positive", device="cpu")
