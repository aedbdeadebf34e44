"""rnnlab.charlm: the character model against PyTorch, stateful training, scoring, the probes."""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from rnnlab import charlm
from rnnlab.corpus import OpenVocab

TEXT = 'print("hello") and (x[0] + "a b")\nif y: z = f(1, 2)\n' * 20


@pytest.fixture
def vocab():
    return OpenVocab(TEXT)


@pytest.mark.parametrize("kind", charlm.KINDS)
def test_course_layers_load_the_fused_weights(kind, vocab):
    torch.manual_seed(0)
    fast = charlm.CharLM(kind, len(vocab), 8, 5, layers=2, dropout=0.3).double().eval()
    ours = charlm.CharLM(kind, len(vocab), 8, 5, layers=2, dropout=0.3, course=True)
    ours.load_state_dict(fast.state_dict())
    ours.double().eval()
    ids = vocab.encode(TEXT[:30])[None]
    a, sa = fast(ids)
    b, sb = ours(ids)
    assert torch.allclose(a, b, atol=1e-10)


def test_bad_arguments(vocab):
    with pytest.raises(ValueError, match="kind"):
        charlm.CharLM("tcn", len(vocab))
    with pytest.raises(ValueError, match="dropout"):
        charlm.CharLM("lstm", len(vocab), dropout=1.0)
    with pytest.raises(ValueError, match="int64"):
        charlm.CharLM("gru", len(vocab))(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="seconds"):
        charlm.train_stream(charlm.CharLM("gru", len(vocab)), vocab.encode(TEXT), 0)


def test_state_is_carried_and_detached(vocab, monkeypatch):
    """Each window starts from the detached final state of the window before it."""
    model = charlm.CharLM("gru", len(vocab), 6, 4)
    seen = []
    forward = model.forward

    def spy(ids, state=None, **kw):
        seen.append(state)
        out = forward(ids, state, **kw)
        seen.append(out[1])
        return out

    monkeypatch.setattr(model, "forward", spy)
    charlm.train_stream(model, vocab.encode(TEXT), 0, batch=4, seq_len=10, max_steps=4,
                        progress=False)
    starts, ends = seen[0::2], seen[1::2]
    assert starts[0] is None
    for prev_end, start in zip(ends[:-1], starts[1:], strict=True):
        assert torch.equal(prev_end, start) and not start.requires_grad


def test_training_lowers_the_loss_and_records(vocab):
    torch.manual_seed(0)
    model = charlm.CharLM("lstm", len(vocab), 32, 16)
    ids = vocab.encode(TEXT)
    before = charlm.stream_bpc(model, ids, batch=4, seq_len=50)
    hist = charlm.train_stream(model, ids, 0, batch=4, seq_len=50, lr=1e-2, max_steps=60,
                               eval_fn=lambda m: charlm.stream_bpc(m, ids, 4, 50),
                               eval_every=0.5, progress=False, decay=True)
    assert hist["step"][-1] == 60 and len(hist["grad_norm"]) == 60
    assert hist["eval"][0] == pytest.approx(before)
    assert hist["eval"][-1] < before - 1.0
    assert not model.training


def test_budget_clocks_and_wall_cap(vocab):
    """A CPU-time budget stops on CPU seconds; the wall cap stops a run whatever the budget,
    with the learning-rate schedule finished; elapsed time is recorded beside the budget's."""
    ids = vocab.encode(TEXT)
    model = charlm.CharLM("gru", len(vocab), 8, 4)
    hist = charlm.train_stream(model, ids, 0.3, batch=4, seq_len=10, progress=False,
                               clock="cpu")
    assert hist["seconds"][-1] >= 0.3 and hist["step"][-1] > 0
    assert hist["wall"] == sorted(hist["wall"]) and hist["wall"][-1] >= hist["seconds"][-1] * 0.5
    model = charlm.CharLM("gru", len(vocab), 8, 4)
    hist = charlm.train_stream(model, ids, 1e6, batch=4, seq_len=10, progress=False,
                               decay=True, max_wall=0.3)
    assert 0.3 <= hist["wall"][-1] < 5 and hist["seconds"][-1] < 1e6
    with pytest.raises(ValueError, match="clock"):
        charlm.train_stream(model, ids, 1, clock="gpu")


def test_stream_bpc_is_the_mean_cross_entropy(vocab):
    model = charlm.CharLM("rnn", len(vocab), 6, 4).eval()
    ids = vocab.encode(TEXT[:101])
    got = charlm.stream_bpc(model, ids, batch=1, seq_len=1000)
    logits, _ = model(ids[None, :-1])
    want = F.cross_entropy(logits[0], ids[1:]).item() / math.log(2)
    assert got == pytest.approx(want, rel=1e-6)


def test_surprisal_matches_the_probabilities(vocab):
    model = charlm.CharLM("lstm", len(vocab), 6, 4).eval()
    s = "if x:"
    bits = charlm.surprisal(model, vocab, s)
    ids = vocab.encode("\n" + s)
    ctx_probs = torch.softmax(model(ids[None, :-1])[0][0].double(), -1).detach()
    want = -np.log2(ctx_probs[torch.arange(len(s)), ids[1:]].numpy())
    assert bits.shape == (len(s),) and np.allclose(bits, want)


def test_surprisal_bad_and_unseen_input(vocab):
    model = charlm.CharLM("gru", len(vocab), 6, 4)
    with pytest.raises(ValueError, match="empty"):
        charlm.surprisal(model, vocab, "")
    with pytest.raises(ValueError, match="string"):
        charlm.surprisal(model, vocab, None)
    bits = charlm.surprisal(model, vocab, "é€😀")   # all unseen: scored as UNK, finite
    assert np.isfinite(bits).all() and np.allclose(bits[0], charlm.surprisal(
        model, vocab, OpenVocab.UNK)[0])


def test_probes():
    s = 'a "bc" d\n"e'
    assert charlm.inside_quotes(s).tolist() == [False, False, True, True, True, True, False,
                                                False, False, True, True]
    assert charlm.bracket_depth("f(a[1]) )x").tolist() == [0, 1, 1, 2, 2, 1, 0, 0, 0, 0]
    assert charlm.bracket_depth("(\n\nx").tolist() == [1, 1, 0, 0]
    h = np.random.default_rng(0).normal(size=(50, 4))
    target = np.arange(50.0)
    h[:, 2] = -3 * target + 1
    assert charlm.best_unit(h, target) == (2, pytest.approx(-1.0))
    h[:, 1] = 0.0                                   # a constant unit gives r = 0, not nan
    assert charlm.best_unit(h, target)[0] == 2


def test_save_and_load(tmp_path, vocab):
    model = charlm.CharLM("lstm", len(vocab), 8, 4)
    charlm.save(model, tmp_path / "m.pt", vocab, extra={"a": 1})
    back, v2, extra = charlm.load(tmp_path / "m.pt", course=True)
    assert v2.chars == vocab.chars and v2.unk_id == vocab.unk_id and extra == {"a": 1}
    ids = vocab.encode(TEXT[:20])[None]
    assert torch.allclose(back(ids)[0], model.eval()(ids)[0], atol=2e-2)   # float16 weights
    assert v2.encode("é").tolist() == [v2.unk_id]
