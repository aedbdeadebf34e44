"""rnnlab.compare: every kind keeps the (ids, state) contract, parameter matching, bits per
character against a model whose answer is known, and the budgeted training loop."""

import math
from functools import partial

import pytest
import torch

from rnnlab.compare import (
    KINDS,
    bits_per_char,
    build_lm,
    count_params,
    crossings,
    task_accuracy,
    task_loss,
    train_for,
    train_task,
    width_for_params,
)
from rnnlab.tasks import copy_batch, parity_batch, recall_batch
from rnnlab.text import COURSE_TEXT, Vocab, sample

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("kind", KINDS)
def test_contract_and_state_carry(kind):
    torch.manual_seed(0)
    model = build_lm(kind, 9, 8, n_layers=2).double().eval()
    ids = torch.randint(0, 9, (2, 12))
    whole, _ = model(ids, None)
    assert whole.shape == (2, 12, 9)
    a, state = model(ids[:, :5], None)
    b, _ = model(ids[:, 5:], state)
    torch.testing.assert_close(torch.cat([a, b], 1), whole, rtol=1e-9, atol=1e-11)
    vocab = Vocab("abcdefghi")
    assert len(sample(model.float(), vocab, "abc", 10)) == 13
    with pytest.raises(ValueError, match=r"expected ids of shape \(batch, T\), int64"):
        model(torch.zeros(3, dtype=torch.int64), None)


def test_unknown_kind():
    with pytest.raises(ValueError, match="expected kind one of lstm, gru, transformer, mingru"):
        build_lm("mamba", 5, 8)


@pytest.mark.parametrize("kind", KINDS)
def test_width_for_params_is_nearest(kind):
    target = 50_000
    w = width_for_params(kind, 60, target)
    n = count_params(build_lm(kind, 60, w))
    for other in (w - 4, w + 4):
        if other > 0:
            assert abs(count_params(build_lm(kind, 60, other)) - target) >= abs(n - target)
    assert abs(n - target) / target < 0.1


def test_bits_per_char_of_uniform_and_perfect_models():
    torch.manual_seed(0)
    model = build_lm("gru", 5, 8)
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.zero_()
    ids = torch.randint(0, 5, (401,))
    assert math.isclose(bits_per_char(model, ids, context=16, batch=4), math.log2(5),
                        rel_tol=1e-6)

    class Next(torch.nn.Module):              # knows the cycle 0 1 2 3 4 0 ...: ~0 bits
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x, state):
            return 50.0 * torch.nn.functional.one_hot((x + 1) % 5, 5).float(), state

    cycle = torch.arange(400) % 5
    assert bits_per_char(Next(), cycle, context=7, batch=3) < 1e-6
    with pytest.raises(ValueError, match="more than batch=16 ids"):
        bits_per_char(model, ids[:10])


def test_carry_matches_one_long_window():
    torch.manual_seed(0)
    model = build_lm("lstm", 5, 8).double()
    ids = torch.randint(0, 5, (201,))
    long = bits_per_char(model, ids, context=100, batch=2)
    carried = bits_per_char(model, ids, context=7, batch=2, carry=True)
    assert math.isclose(long, carried, rel_tol=1e-9)
    assert not math.isclose(long, bits_per_char(model, ids, context=7, batch=2), rel_tol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_train_for_learns_and_stops(kind):
    torch.manual_seed(0)
    vocab = Vocab(COURSE_TEXT)
    ids = vocab.encode(COURSE_TEXT)
    model = build_lm(kind, len(vocab), 16, n_layers=1)
    before = bits_per_char(model, ids, context=32, batch=4)
    hist = train_for(model, ids, seconds=60, batch=8, seq_len=32, lr=1e-2, max_steps=40,
                     eval_fn=lambda m: bits_per_char(m, ids, context=32, batch=4),
                     eval_every=1e9, gen=torch.Generator().manual_seed(0))
    assert hist["step"] == [0, 40] and hist["eval"][0] == before
    assert hist["eval"][-1] < before - 0.5
    assert hist["seconds"][-1] > 0 and not model.training


def test_train_for_counts_its_budget_on_the_clock_it_is_given():
    torch.manual_seed(0)
    vocab = Vocab(COURSE_TEXT)
    ids = vocab.encode(COURSE_TEXT)
    ticks = iter(range(10_000))          # a clock that advances 1 s at every reading
    hist = train_for(build_lm("gru", len(vocab), 8, n_layers=1), ids, seconds=5, batch=2,
                     seq_len=8, eval_every=1e9, clock=lambda: float(next(ticks)))
    assert hist["step"] == [0, 5] and hist["seconds"] == [0.0, 5.0]


def test_crossings():
    xs = [1, 2, 4, 8, 16]
    rnn = [5.0, 5.0, 5.0, 5.0, 5.0]
    attn = [1.0, 2.0, 4.0, 8.0, 16.0]
    (c,) = crossings(xs, attn, rnn)
    assert c["below_before"] == "a" and 4 < c["x"] < 8
    assert math.isclose(math.log(c["x"]), math.log(4) + 0.25 * math.log(2))
    assert crossings(xs, rnn, [6.0] * 5) == []
    assert len(crossings(xs, [0, 2, 0, 2, 0], [1] * 5)) == 4
    assert crossings([1, 2, 4], [1, 2, 1], [2, 2, 2]) == []     # touches, does not cross
    assert crossings([1, 2, 4], [1, 2, 3], [2, 2, 2])[0]["x"] == 2.0
    with pytest.raises(ValueError, match="increasing positive xs"):
        crossings([2, 1], [0, 0], [1, 1])


class ParityOracle(torch.nn.Module):
    """Reads bits and answers their running parity as the logits of tokens 0 and 1."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x, state):
        odd = x.cumsum(1) % 2
        return 20.0 * torch.nn.functional.one_hot(odd, 2).float() + 0 * self.w, state


def test_task_accuracy_of_oracle_and_constant_models():
    assert task_accuracy(ParityOracle(), parity_batch, 300, n=500) == 1.0
    torch.manual_seed(0)
    constant = build_lm("gru", 2, 8)
    with torch.no_grad():
        constant.head.weight.zero_()
        constant.head.bias.copy_(torch.tensor([1.0, 0.0]))
    assert 0.4 < task_accuracy(constant, parity_batch, 30, n=2000) < 0.6
    x, y = parity_batch(8, 5, torch.Generator().manual_seed(0))
    assert task_loss(ParityOracle(), x, y).item() < 1e-6


def test_task_accuracy_counts_only_asked_positions():
    class Copier(torch.nn.Module):       # answers position i with the input at i - (M + gap + 1)
        def __init__(self, shift):
            super().__init__()
            self.shift, self.w = shift, torch.nn.Parameter(torch.zeros(1))

        def forward(self, x, state):
            back = torch.roll(x, self.shift, dims=1)
            return 20.0 * torch.nn.functional.one_hot(back, 10).float(), state

    make = partial(copy_batch, n_copy=3, gap=20)
    assert task_accuracy(Copier(3 + 20 + 1), lambda n, g, gen: make(n, gen=gen), 20) == 1.0


def test_train_task_learns_short_recall():
    torch.manual_seed(0)
    make = partial(recall_batch, n_keys=4, n_values=4)
    model = build_lm("transformer", 9, 32, n_layers=2)
    before = task_accuracy(model, make, 2, n=500)
    losses = train_task(model, make, [2], steps=150, batch=64, lr=3e-3)
    assert len(losses) == 150 and losses[-1] < losses[0]
    assert task_accuracy(model, make, 2, n=500) > before + 0.3
    with pytest.raises(ValueError, match="expected some lengths"):
        train_task(model, make, [], steps=1)


def test_run_record_says_how_and_when_a_benchmark_ran():
    from rnnlab.compare import run_record

    rec = run_record((1.5, 2.0, 2.5))
    assert rec["load_average_start"] == (1.5, 2.0, 2.5)
    assert len(rec["load_average_end"]) == 3 and rec["threads"] == torch.get_num_threads()
    assert rec["torch"] == torch.__version__ and rec["date"].endswith(" UTC")
