"""Encoder-decoder models, with and without attention, and how to train, decode and score them.

    model = Seq2Seq(len(DATE_SOURCE), len(DATE_TARGET), attention="additive")
    logits, weights = model(batch.src, batch.src_lengths, batch.tgt_in)   # teacher forcing
    loss = sequence_loss(logits, batch.tgt_out)                            # <pad> ignored
    greedy_decode(model, batch.src, batch.src_lengths, max_len=12)        # free-running
    beam_search(model, DATE_SOURCE.encode("26 nov. 2026"), max_len=12, beam=4)

The encoder is a (bidirectional) ``rnnlab.models.GRU`` or ``LSTM`` reading the packed source;
the decoder is one layer of the same cell, stepped with ``rnnlab.gated.gru_cell`` /
``lstm_cell``. At output step i, with ``y_{i-1}`` the previous token and ``s_{i-1}`` the
previous decoder state (Bahdanau, Cho and Bengio 2015, section 3.1):

    c_i = attention(s_{i-1}, encoder states)     # or, without attention, the same c every step
    s_i = cell([embed(y_{i-1}); c_i], s_{i-1})
    logits_i = W_out [s_i; c_i; embed(y_{i-1})]

Without attention ``c_i`` is the encoder's final states (both directions), fixed for the whole
output, as in Cho et al. (2014): the two models differ only in whether the context is one vector
or is read afresh at every step. Attention scores are additive (Bahdanau) or dot / scaled dot
(Luong, Pham and Manning 2015): see ``rnnlab.attention``. ``s_0 = tanh(W_bridge · summary)``
(an LSTM decoder starts with c_0 = 0).

Shapes: ``B`` batch, ``S`` source length, ``T`` target length (with ``<eos>``), ``V`` target
vocabulary, ``E = D * hidden`` the encoder's output size (D = 2 when bidirectional).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnlab.attention import ATTENTION_KINDS, Attention, sequence_mask
from rnnlab.gated import GRU, LSTM, gru_cell, lstm_cell
from rnnlab.seqtasks import BOS, EOS, PAD, UNK, CharVocab

__all__ = ["Encoder", "Decoder", "Seq2Seq", "Memory", "Hypothesis", "sequence_loss",
           "writable", "greedy_decode", "beam_search", "translate", "char_accuracy",
           "evaluate", "accuracy_by_length", "position_accuracy", "Answer", "answer",
           "iso_date_problem", "save_checkpoint", "load_checkpoint"]

CELLS = {"gru": GRU, "lstm": LSTM}
NEVER_WRITTEN = (PAD, BOS, UNK)
"""Tokens a decoder may not write: it reads <bos>, never writes it; <pad> and <unk> are not
answers."""


def _check_source(src, lengths) -> None:
    if not isinstance(src, torch.Tensor) or src.dim() != 2 or src.dtype != torch.int64:
        raise ValueError("expected src as a (batch, seq_len) int64 tensor of ids, got "
                         f"{getattr(src, 'shape', type(src).__name__)}")
    if (not isinstance(lengths, torch.Tensor) or lengths.shape != (src.shape[0],)):
        raise ValueError(f"expected src_lengths as a ({src.shape[0]},) tensor, got "
                         f"{getattr(lengths, 'shape', type(lengths).__name__)}")
    if bool((lengths < 1).any()) or bool((lengths > src.shape[1]).any()):
        raise ValueError(f"every source length must be in 1..{src.shape[1]}, got "
                         f"{lengths.tolist()}")


class Encoder(nn.Module):
    """Embedding and a recurrent layer over the packed source.

    ``forward(src, src_lengths)``: ``src`` (B, S) int64 padded with <pad>, ``src_lengths`` (B,).
    Returns ``outputs`` (B, S, E), exactly zero at padded positions (packing: padding never
    enters the recurrence, so a sequence encodes the same alone as in a padded batch), and
    ``summary`` (B, E): the last layer's final state of each direction, concatenated (the
    backward direction's final state is its state at t = 0)."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, cell: str = "gru",
                 bidirectional: bool = True):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.rnn = CELLS[cell](embed_size, hidden_size, batch_first=True,
                               bidirectional=bidirectional)
        self.directions = 2 if bidirectional else 1
        self.output_size = self.directions * hidden_size

    def forward(self, src: torch.Tensor, src_lengths: torch.Tensor):
        _check_source(src, src_lengths)
        packed = pack_padded_sequence(self.embedding(src), src_lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, state = self.rnn(packed)
        h_n = state[0] if self.cell == "lstm" else state  # (layers * D, B, H)
        outputs, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        summary = torch.cat(list(h_n[-self.directions:]), dim=-1)
        return outputs, summary


@dataclass
class Memory:
    """What the decoder reads from the encoder: ``outputs`` (B, S, E), ``mask`` (B, S) bool
    (True = a real source position), ``summary`` (B, E), ``keys`` (B, S, A) the attention's
    projected keys (None without attention)."""

    outputs: torch.Tensor
    mask: torch.Tensor
    summary: torch.Tensor
    keys: torch.Tensor | None

    def select(self, index: torch.Tensor) -> Memory:
        """The rows ``index`` (a (n,) int64 tensor), e.g. one source repeated for a beam."""
        return Memory(self.outputs[index], self.mask[index], self.summary[index],
                      None if self.keys is None else self.keys[index])


class Decoder(nn.Module):
    """One recurrent layer that writes the target a token at a time (see the module docstring).

    ``self.rnn`` is a one-layer ``rnnlab.models.GRU`` / ``LSTM`` that holds the parameters
    (torch's names, so a state dict loads into ``nn.GRU`` too); ``step`` runs its cell once.
    ``attention`` is None (the fixed-context model) or one of ``ATTENTION_KINDS``."""

    def __init__(self, vocab_size: int, embed_size: int, hidden_size: int, context_size: int,
                 cell: str = "gru", attention: str | None = "additive",
                 attn_size: int | None = None):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        if attention is not None and attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be None or one of {ATTENTION_KINDS}, "
                             f"got {attention!r}")
        self.cell = cell
        self.embedding = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        self.rnn = CELLS[cell](embed_size + context_size, hidden_size)
        self.bridge = nn.Linear(context_size, hidden_size)
        self.attention = (None if attention is None
                          else Attention(attention, hidden_size, context_size, attn_size))
        self.out = nn.Linear(hidden_size + context_size + embed_size, vocab_size)

    def memory(self, outputs: torch.Tensor, summary: torch.Tensor,
               src_lengths: torch.Tensor) -> Memory:
        mask = sequence_mask(src_lengths, outputs.shape[1])
        keys = None if self.attention is None else self.attention.project_keys(outputs)
        return Memory(outputs, mask, summary, keys)

    def start(self, memory: Memory) -> tuple:
        """The initial state ``(s_0, c_0)``, each (B, hidden); c_0 is None for a GRU."""
        h = torch.tanh(self.bridge(memory.summary))
        return (h, torch.zeros_like(h) if self.cell == "lstm" else None)

    def step(self, prev: torch.Tensor, state: tuple, memory: Memory):
        """One output step. ``prev`` (B,) int64, the previous token (<bos> first); ``state`` as
        from ``start``. Returns ``logits`` (B, V), the new state, and the attention
        ``weights`` (B, S) (None without attention): computed from the previous decoder state
        *and the encoder states*, zero at padded source positions."""
        emb = self.embedding(prev)
        h_prev, c_prev = state
        if self.attention is None:
            context, weights = memory.summary, None
        else:
            context, weights = self.attention(h_prev, memory.keys, memory.outputs, memory.mask)
        x = torch.cat([emb, context], dim=-1)
        r = self.rnn
        if self.cell == "gru":
            h, _ = gru_cell(x, h_prev, r.weight_ih_l0, r.weight_hh_l0, r.bias_ih_l0, r.bias_hh_l0)
            c = None
        else:
            h, c, _ = lstm_cell(x, h_prev, c_prev, r.weight_ih_l0, r.weight_hh_l0, r.bias_ih_l0,
                                r.bias_hh_l0)
        logits = self.out(torch.cat([h, context, emb], dim=-1))
        return logits, (h, c), weights


def writable(logits: torch.Tensor) -> torch.Tensor:
    """``logits`` (..., V) with the tokens a decoder may not write (<pad>, <bos>, <unk>) at
    -inf: what greedy and beam search choose from."""
    return logits.index_fill(-1, torch.tensor(NEVER_WRITTEN, device=logits.device),
                             float("-inf"))


class Seq2Seq(nn.Module):
    """An encoder-decoder: ``Seq2Seq(src_vocab_size, tgt_vocab_size, embed_size=32,
    hidden_size=64, cell="gru", bidirectional=True, attention="additive", attn_size=None)``;
    ``attention=None`` is the fixed-context model.

    ``forward(src, src_lengths, tgt_in, teacher_forcing=1.0, generator=None)`` takes ``src``
    (B, S), ``src_lengths`` (B,) and ``tgt_in`` (B, T) (<bos> + target, padded) and returns
    ``logits`` (B, T, V) and the attention ``weights`` (B, T, S) (None without attention).
    With ``teacher_forcing`` 1 the decoder reads the true previous token at every step; with
    ratio p < 1, at each step after the first each row reads the true token with probability p
    and its own previous choice (argmax, no gradient through it) otherwise: scheduled sampling
    (Bengio et al. 2015) with a fixed ratio. ``generator`` seeds the coin flips."""

    def __init__(self, src_vocab_size: int, tgt_vocab_size: int, embed_size: int = 32,
                 hidden_size: int = 64, cell: str = "gru", bidirectional: bool = True,
                 attention: str | None = "additive", attn_size: int | None = None):
        super().__init__()
        self.config = {"src_vocab_size": src_vocab_size, "tgt_vocab_size": tgt_vocab_size,
                       "embed_size": embed_size, "hidden_size": hidden_size, "cell": cell,
                       "bidirectional": bidirectional, "attention": attention,
                       "attn_size": attn_size}
        self.encoder = Encoder(src_vocab_size, embed_size, hidden_size, cell, bidirectional)
        self.decoder = Decoder(tgt_vocab_size, embed_size, hidden_size, self.encoder.output_size,
                               cell, attention, attn_size)

    @property
    def has_attention(self) -> bool:
        return self.decoder.attention is not None

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> Memory:
        outputs, summary = self.encoder(src, src_lengths)
        return self.decoder.memory(outputs, summary, src_lengths)

    def forward(self, src, src_lengths, tgt_in, teacher_forcing: float = 1.0,
                generator: torch.Generator | None = None):
        if not isinstance(tgt_in, torch.Tensor) or tgt_in.dim() != 2 \
                or tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"expected tgt_in as a ({src.shape[0]}, T) int64 tensor, got "
                             f"{getattr(tgt_in, 'shape', type(tgt_in).__name__)}")
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing must be between 0 and 1, got {teacher_forcing!r}")
        memory = self.encode(src, src_lengths)
        state = self.decoder.start(memory)
        logits, weights = [], []
        prev = tgt_in[:, 0]
        for t in range(tgt_in.shape[1]):
            if t > 0:
                prev = tgt_in[:, t]
                if teacher_forcing < 1.0:
                    own = writable(logits[-1].detach()).argmax(dim=-1)
                    coin = torch.rand(prev.shape, generator=generator)
                    prev = torch.where(coin.to(prev.device) < teacher_forcing, prev, own)
            step_logits, state, w = self.decoder.step(prev, state, memory)
            logits.append(step_logits)
            weights.append(w)
        stacked = torch.stack(weights, dim=1) if self.has_attention else None
        return torch.stack(logits, dim=1), stacked


def sequence_loss(logits: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per real target token: ``logits`` (B, T, V), ``tgt_out`` (B, T) with
    <pad> after each target's <eos>. Padded positions are ignored (``ignore_index=PAD``): they
    add nothing to the loss and get zero gradient."""
    if logits.dim() != 3 or logits.shape[:2] != tgt_out.shape:
        raise ValueError(f"expected logits (B, T, V) and targets (B, T), got "
                         f"{tuple(logits.shape)} and {tuple(tgt_out.shape)}")
    return F.cross_entropy(logits.transpose(1, 2), tgt_out, ignore_index=PAD)


@dataclass
class Hypothesis:
    """A decoded output: ``tokens`` (ids, without <eos>), ``logprob`` (sum of the log-
    probabilities of the tokens and of <eos> when ``finished``, each from the softmax over the
    writable tokens, see ``writable``), ``score`` (what beam search ranks by), ``finished``
    (ended with <eos> within max_len), ``weights`` (steps, S) attention per output step (<eos>
    step included) or None."""

    tokens: list[int]
    logprob: float
    score: float
    finished: bool
    weights: torch.Tensor | None = field(default=None, repr=False)


@torch.no_grad()
def greedy_decode(model: Seq2Seq, src: torch.Tensor, src_lengths: torch.Tensor,
                  max_len: int) -> list[Hypothesis]:
    """Free-running decoding of a batch: each step writes its most likely token and reads it
    back, until <eos> or ``max_len`` tokens (<eos> counted). One ``Hypothesis`` per row."""
    if not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"max_len must be an int >= 1, got {max_len!r}")
    was_training = model.training
    model.eval()
    try:
        memory = model.encode(src, src_lengths)
        state = model.decoder.start(memory)
        B = src.shape[0]
        prev = torch.full((B,), BOS, dtype=torch.int64, device=src.device)
        done = torch.zeros(B, dtype=torch.bool, device=src.device)
        tokens, logps, weights = [], [], []
        for _ in range(max_len):
            logits, state, w = model.decoder.step(prev, state, memory)
            logp = torch.log_softmax(writable(logits), dim=-1)
            prev = logp.argmax(dim=-1)
            tokens.append(prev)
            logps.append(logp.gather(1, prev[:, None])[:, 0].masked_fill(done, 0.0))
            weights.append(w)
            done = done | (prev == EOS)
            if bool(done.all()):
                break
    finally:
        model.train(was_training)
    toks = torch.stack(tokens, dim=1).tolist()
    logp_sum = torch.stack(logps, dim=1).sum(dim=1).tolist()
    out = []
    for b in range(B):
        row = toks[b]
        finished = EOS in row
        n = row.index(EOS) if finished else len(row)
        steps = n + 1 if finished else n
        wb = (torch.stack([weights[t][b, :int(src_lengths[b])] for t in range(steps)])
              if model.has_attention else None)
        out.append(Hypothesis(row[:n], logp_sum[b], logp_sum[b], finished, wb))
    return out


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, max_len: int, beam: int = 4,
                length_penalty: float = 1.0) -> list[Hypothesis]:
    """Beam search for one source ``src`` (S,) int64: keep the ``beam`` best partial outputs at
    every step instead of one.

    Each step extends every kept output by every writable token and keeps the ``beam`` best by
    log-probability; an extension that writes <eos> is set aside as finished. Search stops when
    ``beam`` outputs have finished or after ``max_len`` tokens (<eos> counted); outputs still
    open then are returned with ``finished=False``. Finished and open outputs are ranked by
    ``score = logprob / n ** length_penalty``, n the number of tokens written (<eos> included):
    0 ranks by total log-probability, which favours short outputs since every token costs;
    1 by the mean per token. Returns all of them, best first. ``beam=1`` is greedy decoding."""
    if not isinstance(src, torch.Tensor) or src.dim() != 1 or len(src) < 1:
        raise ValueError("expected one source as a non-empty 1-d tensor of ids, got "
                         f"{getattr(src, 'shape', type(src).__name__)}")
    if not isinstance(beam, int) or beam < 1:
        raise ValueError(f"beam must be an int >= 1, got {beam!r}")
    if not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"max_len must be an int >= 1, got {max_len!r}")
    was_training = model.training
    model.eval()
    try:
        full = model.encode(src[None], torch.tensor([len(src)], device=src.device))
        state = model.decoder.start(full)
        seqs = [[]]
        logps = torch.zeros(1, device=src.device)
        hist: list[list[torch.Tensor]] = [[]]
        finished: list[Hypothesis] = []
        for _ in range(max_len):
            memory = full.select(torch.zeros(len(seqs), dtype=torch.int64, device=src.device))
            prev = torch.tensor([s[-1] if s else BOS for s in seqs], device=src.device)
            logits, state, w = model.decoder.step(prev, state, memory)
            total = logps[:, None] + torch.log_softmax(writable(logits), dim=-1)  # (k, V)
            V = total.shape[1]
            flat = total.flatten()
            order = flat.argsort(descending=True)[:beam]
            order = order[torch.isfinite(flat[order])]
            keep_rows, new_seqs, new_logps, new_hist = [], [], [], []
            for idx in order.tolist():
                row, tok = divmod(idx, V)
                h = hist[row] + ([w[row]] if w is not None else [])
                if tok == EOS:
                    lp = float(flat[idx])
                    n = len(seqs[row]) + 1
                    finished.append(Hypothesis(seqs[row], lp, lp / n ** length_penalty, True,
                                               torch.stack(h) if h else None))
                else:
                    keep_rows.append(row)
                    new_seqs.append(seqs[row] + [tok])
                    new_logps.append(flat[idx])
                    new_hist.append(h)
            if len(finished) >= beam or not new_seqs:
                seqs = []
                break
            rows = torch.tensor(keep_rows, device=src.device)
            state = tuple(None if s is None else s[rows] for s in state)
            seqs, logps, hist = new_seqs, torch.stack(new_logps), new_hist
    finally:
        model.train(was_training)
    for s, lp, h in (zip(seqs, logps.tolist(), hist, strict=True) if seqs else []):
        finished.append(Hypothesis(s, lp, lp / max(len(s), 1) ** length_penalty, False,
                                   torch.stack(h) if h else None))
    return sorted(finished, key=lambda hyp: hyp.score, reverse=True)


def translate(model: Seq2Seq, texts: list[str], src_vocab: CharVocab, tgt_vocab: CharVocab,
              max_len: int, beam: int = 1, length_penalty: float = 1.0) -> list[str]:
    """Greedy (``beam=1``) or beam-search outputs for a list of source strings."""
    if beam == 1:
        batch = [src_vocab.encode(t) for t in texts]
        src = nn.utils.rnn.pad_sequence(batch, batch_first=True, padding_value=PAD)
        lengths = torch.tensor([len(b) for b in batch])
        hyps = greedy_decode(model, src, lengths, max_len)
    else:
        hyps = [beam_search(model, src_vocab.encode(t), max_len, beam, length_penalty)[0]
                for t in texts]
    return [tgt_vocab.decode(h.tokens) for h in hyps]


def char_accuracy(pred: str, target: str) -> float:
    """The share of positions where ``pred`` and ``target`` agree, over the longer of the two:
    1.0 only for an exact match; a missing or an extra character counts as wrong."""
    n = max(len(pred), len(target))
    return 1.0 if n == 0 else sum(p == t for p, t in zip(pred, target, strict=False)) / n


def evaluate(model: Seq2Seq, pairs, src_vocab: CharVocab, tgt_vocab: CharVocab, max_len: int,
             batch_size: int = 250, beam: int = 1, length_penalty: float = 1.0) -> list[dict]:
    """Decode every pair's source (greedy, or beam search) and score it against the target.
    Returns one dict per pair: ``src``, ``tgt``, ``pred``, ``exact`` (bool), ``char_acc``."""
    records = []
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start:start + batch_size]
        preds = translate(model, [s for s, _ in chunk], src_vocab, tgt_vocab, max_len, beam,
                          length_penalty)
        for (src, tgt), pred in zip(chunk, preds, strict=True):
            records.append({"src": src, "tgt": tgt, "pred": pred, "exact": pred == tgt,
                            "char_acc": char_accuracy(pred, tgt)})
    return records


def accuracy_by_length(records: list[dict], edges: list[int]) -> list[dict]:
    """Exact-match and character accuracy by source length, in bins ``edges[i] <= len <
    edges[i + 1]``. Returns one dict per non-empty bin: ``lengths`` ("5-9"), ``n``,
    ``exact``, ``char_acc``."""
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=False):
        sel = [r for r in records if lo <= len(r["src"]) < hi]
        if sel:
            rows.append({"lengths": f"{lo}-{hi - 1}", "n": len(sel),
                         "exact": sum(r["exact"] for r in sel) / len(sel),
                         "char_acc": sum(r["char_acc"] for r in sel) / len(sel)})
    return rows


@torch.no_grad()
def position_accuracy(model: Seq2Seq, batch, max_len: int) -> dict:
    """Accuracy at each output position, teacher-forced against free-running: exposure bias.

    Teacher-forced: the decoder reads the true previous tokens, as in training; free-running:
    it reads its own (greedy). Position t counts for the examples whose target (with <eos>)
    is longer than t. Returns lists ``teacher_forced``, ``free_running`` and ``n`` per
    position."""
    was_training = model.training
    model.eval()
    try:
        logits, _ = model(batch.src, batch.src_lengths, batch.tgt_in)
    finally:
        model.train(was_training)
    forced = writable(logits).argmax(dim=-1)                       # (B, T)
    hyps = greedy_decode(model, batch.src, batch.src_lengths, max_len)
    T = batch.tgt_out.shape[1]
    free = torch.full_like(batch.tgt_out, -1)
    for b, h in enumerate(hyps):
        seq = (h.tokens + ([EOS] if h.finished else []))[:T]
        free[b, :len(seq)] = torch.tensor(seq, dtype=torch.int64)
    real = batch.tgt_out != PAD
    n = real.sum(dim=0)
    tf = ((forced == batch.tgt_out) & real).sum(dim=0) / n.clamp_min(1)
    fr = ((free == batch.tgt_out) & real).sum(dim=0) / n.clamp_min(1)
    return {"teacher_forced": tf.tolist(), "free_running": fr.tolist(), "n": n.tolist()}


# Typed inputs ---------------------------------------------------------------------------------

@dataclass
class Answer:
    """The model's reply to a typed input: ``guess`` (None when there is none to give),
    ``message`` (one line for the learner), ``probability`` (the model's probability of its
    whole guess, <eos> included), ``source`` (the input as the model read it), ``weights``
    (steps, S) attention (None without attention or without a guess)."""

    guess: str | None
    message: str
    probability: float | None = None
    source: str = ""
    weights: torch.Tensor | None = field(default=None, repr=False)


def iso_date_problem(text: str) -> str | None:
    """None when ``text`` is a real calendar date written YYYY-MM-DD, else what is wrong."""
    try:
        if len(text) == 10 and dt.date.fromisoformat(text).isoformat() == text:
            return None
    except ValueError:
        pass
    return "not a real calendar date in the form YYYY-MM-DD"


def answer(model: Seq2Seq, text, src_vocab: CharVocab, tgt_vocab: CharVocab, max_input: int,
           max_len: int, check=None, example: str = "") -> Answer:
    """Reply to anything a learner types, never with a traceback.

    Runs of spaces are collapsed and the ends stripped (the training inputs have single
    spaces). Not a string, empty, longer than ``max_input`` characters (the longest input the
    model is meant for) or holding a character outside ``src_vocab``: a message, no guess (the
    model has no honest reading of a character it never saw). Otherwise the greedy output with
    its probability; ``check(guess)`` (e.g. ``iso_date_problem``) may say what is wrong with
    it, and a low probability is said to be one: a model always answers something, even to
    input unlike anything it was trained on."""
    hint = f", e.g. {example!r}" if example else ""
    if not isinstance(text, str):
        return Answer(None, f"Expected text{hint}; got {type(text).__name__}.")
    source = " ".join(text.split())
    if not source:
        return Answer(None, f"Nothing to translate: type some text{hint}.")
    if len(source) > max_input:
        return Answer(None, f"Too long: {len(source)} characters; this model reads at most "
                            f"{max_input}.", source=source)
    unknown = src_vocab.unknown(source)
    if unknown:
        return Answer(None, f"{''.join(unknown)!r}: not a character this model knows; it knows "
                            f"{''.join(src_vocab.chars)!r}.", source=source)
    hyp = greedy_decode(model, src_vocab.encode(source)[None], torch.tensor([len(source)]),
                        max_len)[0]
    guess = tgt_vocab.decode(hyp.tokens)
    prob = math.exp(hyp.logprob)
    notes = []
    if not hyp.finished:
        notes.append(f"it did not finish within {max_len} characters")
    problem = check(guess) if check is not None else None
    if problem:
        notes.append(f"the guess is {problem}")
    if prob < 0.5:
        notes.append("the model is unsure: the input may be unlike anything it was trained on")
    message = f"Best guess {guess!r} (probability {prob:.2f})"
    message += "; " + "; ".join(notes) + "." if notes else "."
    return Answer(guess, message, prob, source, hyp.weights)


# Checkpoints ----------------------------------------------------------------------------------

def save_checkpoint(model: Seq2Seq, path, src_vocab: CharVocab, tgt_vocab: CharVocab,
                    meta: dict | None = None) -> Path:
    """Write the model's configuration, float32 weights, both vocabularies and ``meta`` (plain
    values: how it was trained) to ``path``, loadable with ``load_checkpoint``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float32) for k, v in model.state_dict().items()}
    torch.save({"config": model.config, "state_dict": state, "src_chars": src_vocab.chars,
                "tgt_chars": tgt_vocab.chars, "meta": meta or {}}, path)
    return path


def load_checkpoint(path):
    """``(model, src_vocab, tgt_vocab, meta)`` from a file written by ``save_checkpoint``; the
    model is in eval mode. A missing or foreign file raises a one-line error saying which."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}: run benchmarks/seq2seq.py to make it")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
        model = Seq2Seq(**data["config"])
        model.load_state_dict(data["state_dict"])
    except (KeyError, TypeError, RuntimeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"{path} is not a seq2seq checkpoint of this version: {first}") from None
    model.eval()
    return model, CharVocab(data["src_chars"]), CharVocab(data["tgt_chars"]), data["meta"]
