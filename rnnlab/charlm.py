"""Character-level language models on real text, trained as one long stream: lesson 07.

    model = CharLM("lstm", vocab_size=len(vocab), hidden=256, dropout=0.1)
    history = train_stream(model, vocab.encode(split.train), seconds=5)
    stream_bpc(model, vocab.encode(split.valid))          # held-out bits per character
    surprisal(model, vocab, "for x in range(3):")         # (len,) bits of each character

``CharLM`` is embedding -> dropout -> recurrent layers -> dropout -> linear head. Its recurrent
layers are PyTorch's fused ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` by default (fast, for training)
or the course's own ``rnnlab.models`` layers (``course=True``): the parameter names are the
same, so a checkpoint of one loads into the other. ``forward(ids, state)`` maps ids (B, T) int64
to ``(logits (B, T, vocab), state)``, as ``rnnlab.text.sample`` expects.

``train_stream`` is truncated backpropagation through time over the text as one stream
(``rnnlab.corpus.StreamWindows``): the state at the end of window j is the start of window j+1,
detached so that the gradient stops there; clipping; a wall-clock budget; a tqdm bar.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from rnnlab.corpus import OpenVocab, StreamWindows, detach

KINDS = ("rnn", "lstm", "gru")


class CharLM(nn.Module):
    """Embed (``embed``), dropout, ``layers`` recurrent layers of ``hidden`` units (dropout
    between them, PyTorch's ``dropout=`` argument), dropout, linear head to ``vocab_size``.

    ``dropout`` is used in three places: on the embedded inputs, between stacked layers, on the
    last layer's outputs. PyTorch's own ``dropout=`` covers only the middle one (and does nothing
    with one layer); it never touches the recurrent connection h_{t-1} -> h_t."""

    def __init__(self, kind: str, vocab_size: int, hidden: int = 256, embed: int = 64,
                 layers: int = 1, dropout: float = 0.0, course: bool = False):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"expected kind one of {', '.join(KINDS)}, got {kind!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        from rnnlab import models

        lib = models if course else nn
        cls = {"rnn": lib.RNN, "lstm": lib.LSTM, "gru": lib.GRU}[kind]
        self.kind, self.hidden, self.layers = kind, hidden, layers
        self.config = {"kind": kind, "vocab_size": vocab_size, "hidden": hidden, "embed": embed,
                       "layers": layers, "dropout": dropout}
        self.embed = nn.Embedding(vocab_size, embed)
        self.drop = nn.Dropout(dropout)
        self.rnn = cls(embed, hidden, layers, batch_first=True,
                       dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids: torch.Tensor, state=None, return_hidden: bool = False):
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.int64:
            raise ValueError("expected ids of shape (batch, T), int64")
        out, state = self.rnn(self.drop(self.embed(ids)), state)
        logits = self.head(self.drop(out))
        return (logits, state, out) if return_hidden else (logits, state)


def build(config: dict, course: bool = False) -> CharLM:
    """A ``CharLM`` from the ``config`` dict a checkpoint stores."""
    return CharLM(course=course, **config)


def save(model: CharLM, path, vocab: OpenVocab, extra: dict | None = None, half: bool = True):
    """Write config, vocabulary characters and weights (float16 when ``half``) to ``path``."""
    state = {k: (v.half() if half and v.is_floating_point() else v)
             for k, v in model.state_dict().items()}
    torch.save({"config": model.config, "chars": vocab.chars, "state": state,
                "extra": extra or {}}, path)


def load(path, course: bool = False, dtype=torch.float32) -> tuple[CharLM, OpenVocab, dict]:
    """A checkpoint written by ``save``: (model in eval mode, its vocabulary, extra)."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    model = build(blob["config"], course=course)
    model.load_state_dict({k: v.to(dtype) if v.is_floating_point() else v
                           for k, v in blob["state"].items()})
    model.to(dtype).eval()
    vocab = OpenVocab.__new__(OpenVocab)
    chars = list(blob["chars"])
    vocab.chars = chars
    vocab.index = {c: i for i, c in enumerate(chars)}
    vocab.unk_id = chars.index(OpenVocab.UNK)
    vocab.min_count = 1
    return model, vocab, blob["extra"]


@torch.no_grad()
def stream_bpc(model: nn.Module, ids: torch.Tensor, batch: int = 16, seq_len: int = 256,
               max_chars: int | None = None) -> float:
    """Held-out bits per character, reading ``ids`` as ``batch`` parallel streams with the
    state carried across windows (so each character is predicted from everything before it
    in its stream). ``max_chars`` scores only the first that many ids."""
    if max_chars is not None:
        ids = ids[:max_chars]
    was = model.training
    model.eval()
    total, n, state = 0.0, 0, None
    for x, y in StreamWindows(ids, batch, seq_len):
        logits, state = model(x, state)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                 reduction="sum").item()
        n += y.numel()
    model.train(was)
    return total / n / math.log(2)


def train_stream(model: nn.Module, ids: torch.Tensor, seconds: float, batch: int = 32,
                 seq_len: int = 100, lr: float = 3e-3, clip: float = 1.0,
                 eval_fn: Callable[[nn.Module], float] | None = None,
                 eval_every: float = 30.0, max_steps: int | None = None,
                 progress: bool = True, decay: bool = False, clock: str = "wall",
                 max_wall: float | None = None) -> dict[str, list[float]]:
    """Truncated BPTT over ``ids`` as one stream, with Adam, until ``seconds`` of training time
    (evaluation excluded) or ``max_steps``.

    The state at the end of each window starts the next one, detached (the values carry on, the
    gradient stops at the window's edge); at the end of the stream it starts again from an
    empty state. ``eval_fn(model)`` runs at the start, every ``eval_every`` training seconds and
    at the end. ``decay``: the learning rate follows a cosine from ``lr`` down to ``lr / 20``
    over the budget (of seconds, else of steps; with ``max_wall``, over whichever of the two
    budgets is nearer its end).

    ``clock``: how the training seconds are counted: ``"wall"``, elapsed time; ``"cpu"``, the
    CPU time of this process (on a shared machine the wall clock also counts the time other
    programs hold the core, so the same budget buys fewer steps when the machine is busy; CPU
    time does not). ``max_wall``: stop anyway after that many elapsed seconds, evaluations
    included. Returns lists ``step``, ``seconds`` (training seconds on ``clock``), ``wall``
    (elapsed seconds since the start, evaluations included), ``loss`` (mean training bits per
    character since the last evaluation), ``eval``, and ``grad_norm`` (one per step, before
    clipping)."""
    if seconds <= 0 and max_steps is None:
        raise ValueError("give a positive number of seconds or max_steps")
    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    tick = time.perf_counter if clock == "wall" else time.process_time
    began = time.perf_counter()
    windows = StreamWindows(ids, batch, seq_len)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    hist: dict[str, list[float]] = {"step": [], "seconds": [], "wall": [], "loss": [],
                                    "eval": [], "grad_norm": []}
    spent, step, next_eval, losses = 0.0, 0, 0.0, []

    def record():
        hist["step"].append(step)
        hist["seconds"].append(spent)
        hist["wall"].append(time.perf_counter() - began)
        hist["loss"].append(sum(losses) / len(losses) / math.log(2) if losses else float("nan"))
        hist["eval"].append(float(eval_fn(model)) if eval_fn is not None else float("nan"))
        losses.clear()
        model.train()

    bar = tqdm(total=round(seconds) if seconds > 0 else max_steps, disable=not progress,
               leave=False, unit="s" if seconds > 0 else "step", mininterval=0.5,
               desc=f"training ({batch} streams x {seq_len} characters per window)")
    model.train()
    done = False
    while not done:
        state = None
        for x, y in windows:
            if spent >= next_eval:
                record()
                next_eval += eval_every
            if ((seconds > 0 and spent >= seconds)
                    or (max_steps is not None and step >= max_steps)
                    or (max_wall is not None and time.perf_counter() - began >= max_wall)):
                done = True
                break
            if decay:
                done_frac = spent / seconds if seconds > 0 else step / max_steps
                if max_wall is not None:        # whichever budget runs out first
                    done_frac = max(done_frac, (time.perf_counter() - began) / max_wall)
                scale = 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(done_frac, 1.0)))
                for group in opt.param_groups:
                    group["lr"] = lr * scale
            start = tick()
            logits, state = model(x, state)
            state = detach(state)                 # carry the values, cut the gradient
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(loss.item())
            hist["grad_norm"].append(float(norm))
            took = tick() - start
            spent += took
            step += 1
            bar.update(took if seconds > 0 else 1)
            if step % 20 == 0:
                bar.set_postfix(bpc=f"{losses[-1] / math.log(2):.3f}")
            if not math.isfinite(losses[-1]):
                done = True
                break
    bar.close()
    if not hist["step"] or hist["step"][-1] != step:
        record()
    model.eval()
    return hist


def _check_text(vocab: OpenVocab, text) -> str:
    if not isinstance(text, str):
        raise ValueError(f"expected a string, got {type(text).__name__}")
    if not text:
        raise ValueError("type some text: there is nothing to score in an empty string")
    return text


@torch.no_grad()
def surprisal(model: nn.Module, vocab: OpenVocab, text: str, start: str = "\n") -> np.ndarray:
    """(len(text),) float64: -log2 p(text[i] | start + text[:i]) in bits. The model first
    reads ``start`` (a newline: the text begins a line), so the first character is scored too.
    A character outside the vocabulary is scored as the unknown character ``UNK`` (what the
    model gives "some character I never saw in training"). Empty text raises ValueError."""
    _check_text(vocab, text)
    ids = vocab.encode(start + text)
    was = model.training
    model.eval()
    logits, _ = model(ids[None, :-1], None)
    model.train(was)
    logp = torch.log_softmax(logits[0].double(), -1)
    k = len(start)
    picked = logp[k - 1:].gather(1, ids[k:, None]).squeeze(1)
    return (-picked / math.log(2)).numpy()


@torch.no_grad()
def hidden_trace(model: CharLM, vocab: OpenVocab, text: str) -> np.ndarray:
    """(len(text), hidden) float64: the last layer's output h_t after reading each character."""
    _check_text(vocab, text)
    was = model.training
    model.eval()
    _, _, out = model(vocab.encode(text)[None], None, return_hidden=True)
    model.train(was)
    return out[0].double().numpy()


def inside_quotes(text: str, quote: str = '"') -> np.ndarray:
    """(len(text),) bool: True at characters between an opening and a closing ``quote`` (the
    quote marks themselves count as inside), resetting at each newline."""
    inside, out = False, np.zeros(len(text), dtype=bool)
    for i, ch in enumerate(text):
        if ch == "\n":
            inside = False
        elif ch == quote:
            out[i] = True
            inside = not inside
            continue
        out[i] = inside
    return out


def bracket_depth(text: str, pairs: str = "()[]{}") -> np.ndarray:
    """(len(text),) int: how many brackets are open at each character (after reading it),
    never below zero, reset at each blank line."""
    opens, closes = set(pairs[0::2]), set(pairs[1::2])
    depth, out = 0, np.zeros(len(text), dtype=np.int64)
    for i, ch in enumerate(text):
        if ch in opens:
            depth += 1
        elif ch in closes:
            depth = max(depth - 1, 0)
        elif ch == "\n" and i and text[i - 1] == "\n":
            depth = 0
        out[i] = depth
    return out


def best_unit(hidden: np.ndarray, target: np.ndarray) -> tuple[int, float]:
    """The unit whose activation correlates most (in absolute value) with ``target`` over time:
    (unit index, Pearson correlation, signed). ``hidden`` (T, H), ``target`` (T,)."""
    h = hidden - hidden.mean(0)
    t = np.asarray(target, dtype=np.float64)
    t = t - t.mean()
    denom = np.sqrt((h ** 2).sum(0) * (t ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(denom > 0, (h * t[:, None]).sum(0) / denom, 0.0)
    k = int(np.argmax(np.abs(r)))
    return k, float(r[k])


def results_dir():
    """``benchmarks/results`` of the course checkout, where the long runs write."""
    from pathlib import Path

    return Path(__file__).resolve().parent.parent / "benchmarks" / "results"
