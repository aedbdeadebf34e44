"""The course's built-in data sets have the properties the lessons rely on."""

import pytest
import torch

from rnnlab import data


def test_order_task_has_one_a_and_one_b_and_correct_labels():
    gen = torch.Generator().manual_seed(0)
    tokens, labels = data.order_task(500, 12, gen)
    assert tokens.shape == (500, 12) and labels.shape == (500,)
    assert ((tokens == data.A).sum(1) == 1).all() and ((tokens == data.B).sum(1) == 1).all()
    pos_a = (tokens == data.A).int().argmax(1)
    pos_b = (tokens == data.B).int().argmax(1)
    assert torch.equal(labels, (pos_a < pos_b).float())
    assert 0.4 < labels.mean().item() < 0.6


def test_order_task_positions_and_determinism():
    tokens, _ = data.order_task(200, 10, torch.Generator().manual_seed(1), positions=range(5, 10))
    marked = (tokens >= data.A).nonzero()[:, 1]
    assert marked.min() >= 5
    again, _ = data.order_task(200, 10, torch.Generator().manual_seed(1), positions=range(5, 10))
    assert torch.equal(tokens, again)
    with pytest.raises(ValueError, match="positions must be a range"):
        data.order_task(1, 5, torch.Generator(), positions=range(3, 9))


def test_encode_decode_round_trip_and_errors():
    t = data.encode_order("abAcdB")
    assert t.shape == (1, 6) and data.decode_order(t[0]) == "abAcdB"
    with pytest.raises(ValueError, match="expected only the symbols abcdAB, got 'xz'"):
        data.encode_order("axbz")
    with pytest.raises(ValueError, match="non-empty string"):
        data.encode_order("")


def test_adding_problem_targets_and_baseline():
    gen = torch.Generator().manual_seed(0)
    x, y = data.adding_problem(20000, 30, gen)
    assert x.shape == (20000, 30, 2) and y.shape == (20000, 1)
    markers = x[..., 1]
    assert (markers.sum(1) == 2).all()
    assert (markers[:, :15].sum(1) == 1).all()              # one marker in each half
    assert torch.allclose((x[..., 0] * markers).sum(1, keepdim=True), y)
    baseline = ((y - 1.0) ** 2).mean().item()
    assert abs(baseline - data.ADDING_BASELINE_MSE) < 0.01


def test_adding_problem_one_marker_baseline():
    """Knowing only the second marked value (and guessing the first as its mean 1/2) gives
    MSE 1/12, and no function of the second half alone does better: the conditional mean of the
    target given the second half is exactly that guess."""
    gen = torch.Generator().manual_seed(1)
    x, y = data.adding_problem(40000, 20, gen)
    second = (x[:, 10:, 0] * x[:, 10:, 1]).sum(1, keepdim=True)
    one_marker = ((y - (second + 0.5)) ** 2).mean().item()
    assert abs(one_marker - data.ADDING_ONE_MARKER_MSE) < 0.003
    assert data.ADDING_ONE_MARKER_MSE < data.ADDING_BASELINE_MSE
    # a shifted guess is worse, so 1/2 is the best constant for the forgotten value
    assert ((y - (second + 0.6)) ** 2).mean().item() > one_marker
