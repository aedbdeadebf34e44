"""The fit loop: seeded, learns, records its history, clips, and stops on a non-finite loss."""

import math

import torch
from torch import nn

from rnnlab.train import fit, pick_device, seed_everything


def regression_batches(gen):
    w = torch.tensor([[2.0, -1.0]])

    def batch(_step):
        x = torch.randn(64, 2, generator=gen)
        return x, x @ w.T

    return batch


def mse(model, x, y):
    return nn.functional.mse_loss(model(x), y)


def test_fit_learns_and_is_deterministic():
    runs = []
    for _ in range(2):
        gen = seed_everything(3)
        model = nn.Linear(2, 1)
        hist = fit(model, regression_batches(gen), mse, steps=150, lr=0.05, progress=False)
        runs.append((hist["loss"], model.weight.detach().clone()))
    assert runs[0][0] == runs[1][0]
    assert torch.equal(runs[0][1], runs[1][1])
    loss = runs[0][0]
    assert loss[-1] < 1e-3 * loss[0]
    assert torch.allclose(runs[0][1], torch.tensor([[2.0, -1.0]]), atol=1e-2)


def test_history_keys_and_eval():
    gen = seed_everything(0)
    model = nn.Linear(2, 1)
    hist = fit(model, regression_batches(gen), mse, steps=20, lr=0.05, progress=False,
               eval_fn=lambda m: float(m.weight[0, 0]), eval_every=5)
    assert hist["step"] == list(range(20))
    assert len(hist["loss"]) == len(hist["grad_norm"]) == len(hist["seconds"]) == 20
    assert hist["eval_step"] == [5, 10, 15, 20] and len(hist["eval"]) == 4
    assert hist["seconds"] == sorted(hist["seconds"])


def test_clipping_bounds_the_step():
    seed_everything(0)
    model = nn.Linear(2, 1)
    before = model.weight.detach().clone()
    big = lambda _s: (torch.full((8, 2), 1e3), torch.zeros(8, 1))  # noqa: E731
    hist = fit(model, big, mse, steps=1, lr=1.0, optimizer="sgd", clip=0.5, progress=False)
    assert hist["grad_norm"][0] > 1e3           # recorded before clipping
    step = (model.weight.detach() - before).norm().item()
    assert step <= 0.5 + 1e-6


def test_non_finite_loss_stops_training():
    gen = seed_everything(0)
    model = nn.Linear(2, 1)
    calls = []

    def batches(step):
        calls.append(step)
        x = torch.randn(8, 2, generator=gen)
        y = torch.full((8, 1), float("inf") if step == 3 else 0.0)
        return x, y

    hist = fit(model, batches, mse, steps=50, lr=0.01, progress=False)
    assert len(hist["loss"]) == 4 and not math.isfinite(hist["loss"][-1])
    assert calls == [0, 1, 2, 3]


def test_iterator_batches_and_device():
    gen = seed_everything(0)
    data = [(torch.randn(4, 2, generator=gen), torch.zeros(4, 1)) for _ in range(5)]
    hist = fit(nn.Linear(2, 1), iter(data), mse, steps=5, progress=False, device="cpu")
    assert len(hist["loss"]) == 5
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu").type == "cpu"


def test_seed_everything_sets_one_thread_by_default():
    before = torch.get_num_threads()
    try:
        seed_everything(0)
        assert torch.get_num_threads() == 1
        seed_everything(0, threads=None)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
