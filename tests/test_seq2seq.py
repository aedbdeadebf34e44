"""rnnlab.seq2seq: the encoder-decoder checked against PyTorch and against itself run one
sequence at a time; masking, teacher forcing, greedy and beam decoding, typed inputs,
checkpoints. Models here are tiny (a few thousand parameters) and mostly untrained."""

import itertools
import math

import pytest
import torch

from rnnlab.attention import ATTENTION_KINDS
from rnnlab.seq2seq import (
    Answer,
    Seq2Seq,
    accuracy_by_length,
    answer,
    beam_search,
    char_accuracy,
    evaluate,
    greedy_decode,
    iso_date_problem,
    load_checkpoint,
    position_accuracy,
    save_checkpoint,
    sequence_loss,
    translate,
    writable,
)
from rnnlab.seqtasks import (
    BOS,
    DATE_SOURCE,
    DATE_TARGET,
    EOS,
    PAD,
    UNK,
    CharVocab,
    batch_stream,
    make_batch,
    symbol_pairs,
)
from rnnlab.train import seed_everything

D = torch.float64
SYM = CharVocab("abcd")
PAIRS = [("abcdab", "badcba"), ("ca", "ac"), ("dddb", "bddd"), ("abc", "cba")]
MODELS = [None, *ATTENTION_KINDS]


def tiny(attention="additive", cell="gru", bidirectional=True, seed=0, vocab=SYM, dtype=D):
    torch.manual_seed(seed)
    return Seq2Seq(len(vocab), len(vocab), embed_size=5, hidden_size=6, cell=cell,
                   bidirectional=bidirectional, attention=attention).to(dtype)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_encoder_matches_torch_and_ignores_padding(cell, bidirectional):
    model = tiny(cell=cell, bidirectional=bidirectional)
    batch = make_batch(PAIRS, SYM, SYM)
    outputs, summary = model.encoder(batch.src, batch.src_lengths)
    # torch's own layer with the same weights, on the same packed input
    torch_cls = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell]
    theirs = torch_cls(5, 6, batch_first=True, bidirectional=bidirectional).to(D)
    theirs.load_state_dict(model.encoder.rnn.state_dict())
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        model.encoder.embedding(batch.src), batch.src_lengths, batch_first=True,
        enforce_sorted=False)
    out_t, _ = theirs(packed)
    out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(out_t, batch_first=True)
    assert torch.allclose(outputs, out_t, atol=1e-12)
    for b, (src, _) in enumerate(PAIRS):
        alone_out, alone_sum = model.encoder(SYM.encode(src)[None], torch.tensor([len(src)]))
        assert torch.allclose(outputs[b, :len(src)], alone_out[0], atol=1e-12)
        assert torch.allclose(summary[b], alone_sum[0], atol=1e-12)
        assert (outputs[b, len(src):] == 0).all()


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_decoder_cell_matches_torch_cell(cell):
    model = tiny(cell=cell, attention=None)
    dec = model.decoder
    cls = {"gru": torch.nn.GRUCell, "lstm": torch.nn.LSTMCell}[cell]
    theirs = cls(dec.rnn.input_size, 6).to(D)
    theirs.load_state_dict({k[:-3]: v for k, v in dec.rnn.state_dict().items()})
    batch = make_batch(PAIRS, SYM, SYM)
    memory = model.encode(batch.src, batch.src_lengths)
    state = dec.start(memory)
    prev = batch.tgt_in[:, 0]
    logits, (h, c), weights = dec.step(prev, state, memory)
    x = torch.cat([dec.embedding(prev), memory.summary], -1)
    expect = theirs(x, state[0]) if cell == "gru" else theirs(x, state)[0]
    assert torch.allclose(h, expect, atol=1e-12) and weights is None


@pytest.mark.parametrize("attention", MODELS)
def test_padded_batch_equals_one_sequence_at_a_time(attention):
    model = tiny(attention)
    batch = make_batch(PAIRS, SYM, SYM)
    logits, weights = model(batch.src, batch.src_lengths, batch.tgt_in)
    for b, pair in enumerate(PAIRS):
        one = make_batch([pair], SYM, SYM)
        l1, w1 = model(one.src, one.src_lengths, one.tgt_in)
        T, S = one.tgt_in.shape[1], one.src.shape[1]
        assert torch.allclose(logits[b, :T], l1[0], atol=1e-12)
        if attention is not None:
            assert torch.allclose(weights[b, :T, :S], w1[0], atol=1e-12)


@pytest.mark.parametrize("attention", ATTENTION_KINDS)
def test_decoder_masking_zero_weight_and_zero_loss(attention):
    """Padded source positions get exactly zero attention weight; padded target positions add
    nothing to the loss and get no gradient."""
    model = tiny(attention)
    batch = make_batch(PAIRS, SYM, SYM)
    logits, weights = model(batch.src, batch.src_lengths, batch.tgt_in)
    for b, length in enumerate(batch.src_lengths.tolist()):
        assert (weights[b, :, length:] == 0).all()
        assert torch.allclose(weights[b, :, :length].sum(-1), torch.ones((), dtype=D))
    logits = logits.detach().requires_grad_()
    loss = sequence_loss(logits, batch.tgt_out)
    pad = batch.tgt_out == PAD
    assert pad.any()
    changed = logits.detach().clone()
    changed[pad] = torch.randn(int(pad.sum()), logits.shape[-1], dtype=D) * 100
    assert sequence_loss(changed, batch.tgt_out) == loss
    (grad,) = torch.autograd.grad(loss, logits)
    assert (grad[pad] == 0).all() and (grad[~pad] != 0).any()
    # the mean over real tokens, written out
    logp = torch.log_softmax(logits.detach(), -1)
    manual = -logp.gather(-1, batch.tgt_out.clamp_min(0)[..., None])[..., 0][~pad].mean()
    assert torch.allclose(loss, manual, atol=1e-12)


def test_decoder_attention_reads_the_encoder_states():
    """The decoder's weights change when the encoder states change and nothing else does: the
    check that fails for "attention" computed from the decoder's input and state only."""
    model = tiny("additive")
    batch = make_batch(PAIRS, SYM, SYM)
    memory = model.encode(batch.src, batch.src_lengths)
    state = model.decoder.start(memory)
    prev = batch.tgt_in[:, 0]
    _, _, w1 = model.decoder.step(prev, state, memory)
    moved = model.decoder.memory(memory.outputs + torch.randn_like(memory.outputs),
                                 memory.summary, batch.src_lengths)
    _, _, w2 = model.decoder.step(prev, state, moved)
    assert not torch.allclose(w1, w2)


def test_teacher_forcing_ratio():
    model = tiny("additive")
    batch = make_batch(PAIRS, SYM, SYM)
    other = batch.tgt_in.clone()
    other[:, 1:] = torch.randint(4, len(SYM), other[:, 1:].shape)
    forced = model(batch.src, batch.src_lengths, batch.tgt_in)[0]
    assert not torch.allclose(forced, model(batch.src, batch.src_lengths, other)[0])
    # ratio 0: only <bos> is read from tgt_in; the rest is the decoder's own output
    free = model(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing=0.0)[0]
    free2 = model(batch.src, batch.src_lengths, other, teacher_forcing=0.0)[0]
    assert torch.allclose(free, free2)
    greedy = greedy_decode(model, batch.src, batch.src_lengths, batch.tgt_in.shape[1])
    for b, h in enumerate(greedy):
        n = len(h.tokens)
        assert writable(free[b, :n]).argmax(-1).tolist() == h.tokens
    # ratio in between: seeded, so repeatable
    a = model(batch.src, batch.src_lengths, batch.tgt_in, 0.5, torch.Generator().manual_seed(1))
    b = model(batch.src, batch.src_lengths, batch.tgt_in, 0.5, torch.Generator().manual_seed(1))
    assert torch.equal(a[0], b[0])
    with pytest.raises(ValueError, match="between 0 and 1"):
        model(batch.src, batch.src_lengths, batch.tgt_in, teacher_forcing=1.5)


def test_bad_source_is_one_line():
    model = tiny()
    with pytest.raises(ValueError, match="every source length"):
        model.encode(torch.zeros(2, 3, dtype=torch.int64), torch.tensor([3, 0]))
    with pytest.raises(ValueError, match="expected src"):
        model.encode(torch.zeros(2, 3), torch.tensor([3, 3]))


@pytest.mark.parametrize("attention", [None, "additive"])
def test_greedy_is_beam_of_one_and_matches_teacher_forced_logprob(attention):
    model = tiny(attention, seed=3)
    batch = make_batch(PAIRS, SYM, SYM)
    hyps = greedy_decode(model, batch.src, batch.src_lengths, max_len=8)
    for b, (src, _) in enumerate(PAIRS):
        beam = beam_search(model, SYM.encode(src), max_len=8, beam=1)[0]
        assert beam.tokens == hyps[b].tokens
        assert math.isclose(beam.logprob, hyps[b].logprob, abs_tol=1e-9)
        if hyps[b].finished:   # the same log-probability, recomputed with teacher forcing
            one = make_batch([(src, SYM.decode(hyps[b].tokens))], SYM, SYM)
            with torch.no_grad():
                logits, _ = model(one.src, one.src_lengths, one.tgt_in)
            logp = torch.log_softmax(writable(logits[0]), -1)
            total = logp.gather(-1, one.tgt_out[0][:, None]).sum()
            assert math.isclose(float(total), hyps[b].logprob, abs_tol=1e-9)
        if attention is not None:
            steps = len(hyps[b].tokens) + hyps[b].finished
            assert hyps[b].weights.shape == (steps, len(src))


@pytest.mark.parametrize("length_penalty", [0.0, 1.0])
def test_wide_beam_finds_the_best_output_by_brute_force(length_penalty):
    vocab = CharVocab("ab")
    model = tiny("additive", seed=5, vocab=vocab)
    src = vocab.encode("abba")
    max_len = 4
    best, best_score = None, -math.inf
    for n in range(max_len + 1):
        for toks in itertools.product([4, 5], repeat=n):
            finished = n < max_len
            seq = list(toks) + ([EOS] if finished else [])
            lp = 0.0
            for t in range(len(seq)):
                prefix = [BOS] + seq[:t]
                with torch.no_grad():
                    logits, _ = model(src[None], torch.tensor([4]), torch.tensor([prefix]))
                lp += float(torch.log_softmax(writable(logits[0, -1]), -1)[seq[t]])
            score = lp / max(len(seq), 1) ** length_penalty
            if score > best_score:
                best, best_score = list(toks), score
    found = beam_search(model, src, max_len, beam=100, length_penalty=length_penalty)[0]
    assert found.tokens == best and math.isclose(found.score, best_score, abs_tol=1e-9)


def test_beam_search_checks_its_arguments():
    model = tiny()
    with pytest.raises(ValueError, match="beam must be"):
        beam_search(model, SYM.encode("ab"), 5, beam=0)
    with pytest.raises(ValueError, match="non-empty 1-d"):
        beam_search(model, SYM.encode("ab")[None], 5)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(model, SYM.encode("ab")[None], torch.tensor([2]), 0)


def test_decoders_never_write_special_tokens_other_than_eos():
    model = tiny(seed=1)
    with torch.no_grad():
        model.decoder.out.bias[[PAD, BOS, UNK]] = 100.0   # make them the most likely
    batch = make_batch(PAIRS, SYM, SYM)
    for h in greedy_decode(model, batch.src, batch.src_lengths, 6):
        assert not set(h.tokens) & {PAD, BOS, UNK}
    for h in beam_search(model, SYM.encode("abc"), 6, beam=3):
        assert not set(h.tokens) & {PAD, BOS, UNK}


def test_position_accuracy_first_position_agrees():
    """At position 0 both modes read <bos> from the same state, so they must agree."""
    model = tiny(seed=2)
    batch = make_batch(PAIRS, SYM, SYM)
    acc = position_accuracy(model, batch, max_len=8)
    T = batch.tgt_out.shape[1]
    assert len(acc["teacher_forced"]) == len(acc["free_running"]) == T
    assert acc["teacher_forced"][0] == acc["free_running"][0]
    assert acc["n"] == (batch.tgt_out != PAD).sum(0).tolist()


def test_scores():
    assert char_accuracy("2026-11-26", "2026-11-26") == 1.0
    assert char_accuracy("2026-11-2", "2026-11-26") == 0.9
    assert char_accuracy("2026-11-266", "2026-11-26") == 10 / 11
    assert char_accuracy("", "") == 1.0
    records = [{"src": "ab", "exact": True, "char_acc": 1.0},
               {"src": "abc", "exact": False, "char_acc": 0.5},
               {"src": "abcdef", "exact": False, "char_acc": 0.0}]
    rows = accuracy_by_length(records, [1, 4, 6, 10])
    assert rows == [{"lengths": "1-3", "n": 2, "exact": 0.5, "char_acc": 0.75},
                    {"lengths": "6-9", "n": 1, "exact": 0.0, "char_acc": 0.0}]


def test_a_tiny_model_learns_to_reverse():
    """Training works end to end: a hundred and fifty steps on short strings, seeded."""
    seed_everything(0)  # one thread: two threads on a busy 2-core machine run ten times slower
    vocab = CharVocab("abc")
    model = Seq2Seq(len(vocab), len(vocab), embed_size=8, hidden_size=16, attention="additive")
    pairs = symbol_pairs(300, torch.Generator().manual_seed(0), "reverse", 2, 4, "abc")
    stream = batch_stream(pairs, vocab, vocab, 32, torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(150):
        b = next(stream)
        loss = sequence_loss(model(b.src, b.src_lengths, b.tgt_in)[0], b.tgt_out)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert sum(losses[-10:]) / 10 < 0.3 * sum(losses[:10]) / 10
    records = evaluate(model, pairs[:50], vocab, vocab, max_len=6)
    assert sum(r["exact"] for r in records) / 50 > 0.6
    assert [r["pred"] for r in records[:5]] == translate(
        model, [s for s, _ in pairs[:5]], vocab, vocab, 6)


# Typed inputs ---------------------------------------------------------------------------

@pytest.fixture
def date_model():
    torch.manual_seed(0)
    return Seq2Seq(len(DATE_SOURCE), len(DATE_TARGET), embed_size=4, hidden_size=8)


def _answer(model, text):
    return answer(model, text, DATE_SOURCE, DATE_TARGET, max_input=40, max_len=12,
                  check=iso_date_problem, example="26 nov. 2026")


@pytest.mark.parametrize("text, says", [
    ("", "Nothing to translate"),
    ("   \n ", "Nothing to translate"),
    (None, "Expected text"),
    (20261126, "Expected text"),
    ("26 November 2026 " * 5, "Too long: 84 characters"),
    ("26 novembre 2026 à 10h", "'à': not a character"),
    ("26 nov. 2026 🙂", "'🙂': not a character"),
])
def test_answer_refuses_with_one_line(date_model, text, says):
    reply = _answer(date_model, text)
    assert isinstance(reply, Answer) and reply.guess is None
    assert says in reply.message and "\n" not in reply.message


@pytest.mark.parametrize("text", ["hello world", "26  nov.   2026", "99/99/99", "a"])
def test_answer_guesses_honestly(date_model, text):
    reply = _answer(date_model, text)
    assert reply.guess is not None and 0 <= reply.probability <= 1
    assert reply.message.startswith(f"Best guess {reply.guess!r}")
    assert reply.source == " ".join(text.split())
    assert reply.weights.shape[1] == len(reply.source)
    # an untrained model is unsure, and says so
    assert "unsure" in reply.message


def test_iso_date_problem():
    assert iso_date_problem("2026-11-26") is None
    for bad in ["2026-02-30", "2026-1-26", "26-11-2026", "", "2026-11-26x"]:
        assert iso_date_problem(bad) is not None


# Checkpoints ----------------------------------------------------------------------------

def test_checkpoint_round_trip(tmp_path):
    model = tiny("dot", dtype=torch.float32)
    path = save_checkpoint(model, tmp_path / "m.pt", SYM, SYM, {"task": "reverse"})
    loaded, sv, tv, meta = load_checkpoint(path)
    assert meta == {"task": "reverse"} and sv.tokens == SYM.tokens and tv.tokens == SYM.tokens
    batch = make_batch(PAIRS, SYM, SYM)
    assert torch.equal(model(batch.src, batch.src_lengths, batch.tgt_in)[0],
                       loaded(batch.src, batch.src_lengths, batch.tgt_in)[0])
    assert path.stat().st_size < 1_000_000


def test_bad_checkpoints_are_one_line(tmp_path):
    with pytest.raises(FileNotFoundError, match="benchmarks/seq2seq.py"):
        load_checkpoint(tmp_path / "missing.pt")
    torch.save({"something": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a seq2seq checkpoint"):
        load_checkpoint(tmp_path / "other.pt")
