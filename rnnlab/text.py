"""Character-level text for the course's language models: the text, its vocabulary, training
windows, count-based baselines, and sampling from a model.

    vocab = Vocab(COURSE_TEXT)
    ids = vocab.encode(COURSE_TEXT)                  # (len,) int64
    x, y = random_windows(ids, 32, 64, gen)          # (64, 32) inputs, (64, 32) next characters
    sample(model, vocab, "the ", 80, temperature=0.8, generator=gen)

A model used with ``sample`` follows one contract: ``model(ids, h)`` with ``ids`` (batch,
seq_len) int64 and ``h`` its recurrent state (``None`` at the start) returns ``(logits, h)``,
``logits`` (batch, seq_len, vocab_size).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

# Written for this course (lesson 02 trains on it): short, lowercase, about the topic.
COURSE_TEXT = (
    "a recurrent network reads a text one character at a time. "
    "it keeps a hidden state, a short list of numbers, and at every step it mixes the new "
    "character into that state with the same weights as the step before. "
    "the state is all the network remembers: what it lets go of, no later step can bring back. "
    "to write, the network turns its state into a guess for the next character, "
    "picks one, and reads its own guess as the next input."
)


class Vocab:
    """The characters of a text, in sorted order; ``index`` maps a character to its id."""

    def __init__(self, text: str | Iterable[str]):
        chars = sorted(set(text))
        if not chars:
            raise ValueError("a vocabulary needs at least one character")
        self.chars: list[str] = chars
        self.index: dict[str, int] = {ch: i for i, ch in enumerate(chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: object) -> bool:
        return ch in self.index

    def __repr__(self) -> str:
        return f"Vocab({len(self)} characters: {''.join(self.chars)!r})"

    def encode(self, text: str) -> torch.Tensor:
        """A string as a (len,) int64 tensor of ids.

        Raises ValueError, in one line naming the offending characters, for an empty string or a
        character outside the vocabulary."""
        if not isinstance(text, str):
            raise ValueError(f"expected a string, got {type(text).__name__}")
        if not text:
            raise ValueError("expected at least one character, got an empty string")
        unknown = sorted({ch for ch in text if ch not in self.index})
        if unknown:
            shown = "".join(unknown)
            raise ValueError(f"{shown!r} not in the vocabulary; allowed: "
                             f"{''.join(self.chars)!r}")
        return torch.tensor([self.index[ch] for ch in text], dtype=torch.int64)

    def decode(self, ids: torch.Tensor | Iterable[int]) -> str:
        """A 1-d sequence of ids back to a string."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"expected a 1-d tensor of ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        return "".join(self.chars[int(i)] for i in ids)


def random_windows(ids: torch.Tensor, seq_len: int, batch: int, gen: torch.Generator):
    """``batch`` random windows of a (len,) id tensor, for next-character training.

    Returns ``inputs`` and ``targets``, both (batch, seq_len) int64, with
    ``targets[:, t] == inputs[:, t + 1]`` inside a window: the target is the next character."""
    if ids.dim() != 1 or len(ids) < seq_len + 1:
        raise ValueError(f"need a 1-d tensor longer than seq_len={seq_len}, "
                         f"got shape {tuple(ids.shape)}")
    starts = torch.randint(0, len(ids) - seq_len, (batch,), generator=gen)
    offsets = torch.arange(seq_len + 1)
    chunks = ids[starts[:, None] + offsets]            # (batch, seq_len + 1)
    return chunks[:, :-1], chunks[:, 1:]


def baseline_losses(ids: torch.Tensor, vocab_size: int) -> dict[str, float]:
    """Cross-entropy (nats per character) of three count-based predictors of ``ids[1:]``.

    ``uniform``: every character equally likely, log(vocab_size). ``unigram``: each character's
    frequency in ``ids``. ``bigram``: the frequency of each character after the previous one.
    The counts come from the same text they are scored on, as the course's tiny language models
    are: these are the losses a model must beat to have learnt more than counting."""
    if ids.dim() != 1 or len(ids) < 2:
        raise ValueError(f"need a 1-d tensor of at least 2 ids, got shape {tuple(ids.shape)}")
    prev, nxt = ids[:-1], ids[1:]
    uni = torch.bincount(nxt, minlength=vocab_size).double()
    uni_p = uni / uni.sum()
    pairs = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)
    pairs.index_put_((prev, nxt), torch.ones(len(nxt), dtype=torch.float64), accumulate=True)
    bi_p = pairs / pairs.sum(dim=1, keepdim=True).clamp_min(1)
    return {
        "uniform": math.log(vocab_size),
        "unigram": float(-uni_p[nxt].log().mean()),
        "bigram": float(-bi_p[prev, nxt].log().mean()),
    }


def next_char_probs(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Probabilities over the vocabulary from logits (..., vocab) at a sampling temperature.

    ``softmax(logits / temperature)``. ``temperature == 0`` means greedy: all the probability on
    the largest logit (the first one on a tie). Temperature 1 is the model's own distribution;
    larger values flatten it towards uniform, smaller ones sharpen it."""
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature)
            and temperature >= 0):
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")
    if temperature == 0:
        probs = torch.zeros_like(logits)
        return probs.scatter_(-1, logits.argmax(dim=-1, keepdim=True), 1.0)
    return torch.softmax(logits / temperature, dim=-1)


@torch.no_grad()
def sample(model, vocab: Vocab, prompt: str, length: int, temperature: float = 0.0,
           generator: torch.Generator | None = None) -> str:
    """Continue ``prompt`` by ``length`` characters drawn from ``model`` (see the module doc).

    The prompt is read in one call; then each new character is fed back as the next input with
    the state carried over. ``temperature=0`` is greedy decoding (the most likely character every
    time, so the result is deterministic); otherwise characters are drawn from
    ``next_char_probs(logits, temperature)`` with ``generator``. Returns prompt + continuation."""
    ids = vocab.encode(prompt)
    if not isinstance(length, int) or length < 0:
        raise ValueError(f"length must be an int >= 0, got {length!r}")
    next_char_probs(torch.zeros(1), temperature)   # validate before running the model
    was_training = model.training
    model.eval()
    try:
        logits, h = model(ids[None], None)
        out = ids.tolist()
        for _ in range(length):
            probs = next_char_probs(logits[0, -1], temperature)
            if temperature == 0:
                nxt = int(probs.argmax())
            else:
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            out.append(nxt)
            logits, h = model(torch.tensor([[nxt]]), h)
    finally:
        model.train(was_training)
    return vocab.decode(out)
