"""The adaptive integrator of integrated gradients: the rule on known integrals, and the model path against Captum."""

import math

import numpy as np
import pytest
import torch

from explainers.attributions import quadrature
from explainers.attributions.integrated import Job, integrate, make_jobs
from explainers.attributions.quadrature import GRID, integrate_function
from explainers.attributions.words import pair_words
from explainers.runners.device import resolve_device
from explainers.runners.hf_text import TextClassifierRunner
from tests.explainers.attributions.planted import make_planted_classifier

# Three "tokens" whose integrands are derivatives of known functions: a steep sigmoid step, a steeper one of the
# opposite sign (they cancel in part, as token attributions of a neutral path do), and a smooth wave.
PARTS = (
    (lambda a: 1 / (1 + math.exp(-30 * (a - 0.3))), lambda a: 30 * _s(30 * (a - 0.3)) * (1 - _s(30 * (a - 0.3)))),
    (
        lambda a: -0.8 / (1 + math.exp(-60 * (a - 0.62))),
        lambda a: -48 * _s(60 * (a - 0.62)) * (1 - _s(60 * (a - 0.62))),
    ),
    (lambda a: 0.2 * math.sin(2 * a), lambda a: 0.4 * math.cos(2 * a)),
)


def _s(z):
    return 1 / (1 + math.exp(-z))


def _function(alpha):
    return sum(part(alpha) for part, _ in PARTS), np.array([derivative(alpha) for _, derivative in PARTS])


EXACT = np.array([part(1.0) - part(0.0) for part, _ in PARTS])


def test_every_token_integral_is_within_the_bound_and_completeness_is_exact():
    path = integrate_function(_function, tolerance=0.01)
    difference = abs(_function(1.0)[0] - _function(0.0)[0])
    assert path.converged
    assert np.abs(path.tokens - EXACT).sum() <= 0.01 * difference  # the token bound held in fact, not only in estimate
    assert path.error == pytest.approx(path.tokens.sum() - (_function(1.0)[0] - _function(0.0)[0]), abs=1e-15)
    assert abs(path.error) <= 0.01 * difference


def test_nodes_are_nested_and_go_where_the_integrand_is_steep():
    path = integrate_function(_function, tolerance=1e-3)
    assert path.points == len(path.g) == path.points_by_round[-1]
    assert path.points_by_round == sorted(path.points_by_round) and path.rounds == len(path.points_by_round) >= 3
    widths = {(c - a) / GRID: (a + c) / 2 / GRID for a, c in path.units}
    narrowest, widest = min(widths), max(widths)
    assert narrowest <= widest / 4
    assert abs(widths[narrowest] - 0.3) < 0.15 or abs(widths[narrowest] - 0.62) < 0.15  # at a step, not the wave
    looser = integrate_function(_function, tolerance=1e-2)
    assert looser.points < path.points
    assert np.abs(path.tokens - EXACT).max() < np.abs(looser.tokens - EXACT).max()


@pytest.mark.parametrize("tolerance", [1e-2, 1e-3])
def test_the_split_threshold_trades_rounds_for_nodes_never_accuracy(monkeypatch, tolerance):
    difference = abs(_function(1.0)[0] - _function(0.0)[0])
    paths = {}
    for share in (1.0, 2.0, 4.0):
        monkeypatch.setattr(quadrature, "SPLIT_SHARE", share)
        path = paths[share] = integrate_function(_function, tolerance=tolerance)
        assert path.converged and np.abs(path.tokens - EXACT).sum() <= tolerance * difference
    assert paths[4.0].points <= paths[2.0].points <= paths[1.0].points
    assert paths[4.0].rounds >= paths[1.0].rounds
    if tolerance == 1e-3:  # the lazier threshold halves fewer units where the errors are spread
        assert paths[2.0].points < paths[1.0].points


def _cancelling(alpha):
    """Two tokens with opposite steep steps at 0.4 (their sum is flat) and one that rises linearly."""
    slope = 40 * _s(40 * (alpha - 0.4)) * (1 - _s(40 * (alpha - 0.4)))
    return 0.3 * alpha, np.array([slope, -slope, 0.3])


def test_completeness_alone_lets_token_errors_cancel_and_the_token_bound_does_not():
    exact = np.array([_s(24) - _s(-16), _s(-16) - _s(24), 0.3])
    bound = 0.01 * 0.3
    sum_only = integrate_function(_cancelling, tolerance=0.01, token_tolerance=math.inf)
    assert sum_only.converged and sum_only.points == 5  # the sum is linear: Simpson is exact on it at once
    assert abs(sum_only.error) <= bound and np.abs(sum_only.tokens - exact).max() > 10 * bound  # words are not
    both = integrate_function(_cancelling, tolerance=0.01)
    assert both.converged and both.points > sum_only.points
    assert np.abs(both.tokens - exact).sum() <= bound


def test_a_path_stops_at_max_points_unconverged():
    path = integrate_function(_function, tolerance=1e-9, absolute_tolerance=0.0, max_points=13)
    assert not path.converged and path.points <= 13 and path.points_by_round[0] == 5


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    resolve_device("cpu")
    torch.set_num_threads(1)
    folder = make_planted_classifier(tmp_path_factory.mktemp("integrated") / "model", planted="pronoun")
    return TextClassifierRunner(folder, favourable_class="positive", device="cpu")


def _jobs(runner):
    words = [pair_words("she is a good doctor .", "he is a good doctor .", None)]
    jobs, aligned = make_jobs(runner, words)
    assert aligned == [True] and [job.member for job in jobs] == ["text", "counterfactual", "pair"]
    return jobs


def _run(runner, jobs: list[Job], **options):
    settings = {"tolerance": 0.01, "absolute_tolerance": 1e-4, "token_tolerance": None, "max_steps": 5}
    settings.update(options)
    return integrate(runner, jobs, runner.favourable_index, batch_size=7, **settings)


def test_five_nodes_match_captum_layer_integrated_gradients_at_the_same_alphas(runner):
    """Captum's trapezoid rule with 5 steps evaluates alpha = 0, 1/4, ..., 1: the nodes of our first round.

    Its step sizes are Captum's own (1/n each, halved at both ends), so the comparison is of the integrand itself.
    """
    from captum.attr import LayerIntegratedGradients
    from captum.attr._utils.approximation_methods import approximation_parameters

    step_sizes, alphas = approximation_parameters("riemann_trapezoid")
    assert alphas(5) == pytest.approx([0, 0.25, 0.5, 0.75, 1])
    weights = np.array(step_sizes(5))

    model, target = runner.model, runner.favourable_index

    def forward(input_ids, attention_mask):
        return torch.softmax(model(input_ids=input_ids, attention_mask=attention_mask).logits.float(), dim=-1)[
            :, target
        ]

    method = LayerIntegratedGradients(forward, model.get_input_embeddings())
    jobs = _jobs(runner)
    _run(runner, jobs)
    for job in jobs:
        ids = torch.tensor([job.ids])
        captum = method.attribute(
            inputs=ids,
            baselines=torch.tensor([job.baseline_ids]),
            additional_forward_args=(torch.ones_like(ids),),
            n_steps=5,
            method="riemann_trapezoid",
        )
        ours = sum(w * job.path.g[k * GRID // 4] for k, w in enumerate(weights))
        np.testing.assert_allclose(ours, captum.detach().double().sum(dim=-1)[0].numpy(), atol=2e-6, rtol=1e-5)
        with torch.no_grad():
            assert job.output == pytest.approx(float(forward(ids, torch.ones_like(ids))[0]), abs=1e-6)


def test_shared_path_ends_give_the_results_of_separate_runs(runner):
    together = _jobs(runner)
    evaluations = _run(runner, together, max_steps=257)
    alone = [[job] for job in _jobs(runner)]
    separate = sum(_run(runner, single, max_steps=257) for single in alone)
    assert evaluations == separate - 3
    for job, (single,) in zip(together, alone, strict=True):
        np.testing.assert_allclose(job.tokens, single.tokens, atol=1e-6)
        assert job.output == pytest.approx(single.output, abs=1e-6)
        assert job.baseline_output == pytest.approx(single.baseline_output, abs=1e-6)
