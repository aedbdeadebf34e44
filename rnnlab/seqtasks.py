"""The sequence-to-sequence tasks of lesson 08, made here from a seed (nothing is downloaded),
and what turns them into tensors.

* Dates written many ways, to ISO 8601: ``"Thursday 26 November 2026"``, ``"26 nov. 2026"``,
  ``"11/26/26"`` -> ``"2026-11-26"``. Every output character lines up with a few input
  characters, so an attention map can be read by eye.
* Copy or reverse a string of symbols of length 5 to 40: ``"cabd"`` -> ``"dbac"``. The
  answer needs every input symbol, so a model that squeezes the input into one vector shows
  the squeeze as accuracy falling with length.

    splits = date_splits(seed=0)                      # {"train": [(src, tgt), ...], ...}
    batch = make_batch(splits["train"][:32], DATE_SOURCE, DATE_TARGET)
    batch.src, batch.src_lengths, batch.tgt_in, batch.tgt_out

Pairs are ``(source string, target string)``. Vocabularies are ``CharVocab``: the four special
tokens ``<pad>`` (0), ``<bos>`` (1), ``<eos>`` (2), ``<unk>`` (3), then the characters.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch

__all__ = ["PAD", "BOS", "EOS", "UNK", "SPECIALS", "CharVocab", "DATE_SOURCE", "DATE_TARGET",
           "DATE_FORMATS", "format_date", "random_date", "date_splits", "SYMBOLS",
           "symbol_pairs", "symbol_splits", "symbol_vocab", "Batch", "make_batch",
           "batch_stream"]

PAD, BOS, EOS, UNK = 0, 1, 2, 3
SPECIALS = ("<pad>", "<bos>", "<eos>", "<unk>")


class CharVocab:
    """Characters plus the four special tokens: ids 0-3 are ``SPECIALS``, then ``chars`` in
    the order given (duplicates dropped).

    ``<pad>`` fills a batch's short rows (never a target: the loss ignores it); ``<bos>``
    starts the decoder; ``<eos>`` is the decoder's "I am done"; ``<unk>`` stands for a character
    outside the vocabulary when ``encode(..., unknown="unk")`` is asked for. The course's
    ``rnnlab.text.Vocab`` has none of them: a language model over a fixed text never meets an
    unknown character and never has to stop."""

    def __init__(self, chars: Iterable[str]):
        chars = list(dict.fromkeys(chars))
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad or not chars:
            raise ValueError(f"expected single characters, got {bad[:3] or 'none'}")
        self.chars: list[str] = chars
        self.tokens: list[str] = list(SPECIALS) + chars
        self.index: dict[str, int] = {c: i + len(SPECIALS) for i, c in enumerate(chars)}

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, ch: object) -> bool:
        return ch in self.index

    def __repr__(self) -> str:
        return f"CharVocab({len(self.chars)} characters + {len(SPECIALS)} specials: " \
               f"{''.join(self.chars)!r})"

    def unknown(self, text: str) -> list[str]:
        """The characters of ``text`` outside the vocabulary, each once, in order of appearance."""
        return list(dict.fromkeys(c for c in text if c not in self.index))

    def encode(self, text: str, bos: bool = False, eos: bool = False,
               unknown: str = "error") -> torch.Tensor:
        """A string as a (len,) int64 tensor of ids, with ``<bos>`` / ``<eos>`` added on request.

        ``unknown="error"`` raises a one-line ValueError naming the unknown characters;
        ``unknown="unk"`` maps each to ``<unk>``."""
        if not isinstance(text, str):
            raise ValueError(f"expected a string, got {type(text).__name__}")
        if unknown not in ("error", "unk"):
            raise ValueError(f"unknown must be 'error' or 'unk', got {unknown!r}")
        missing = self.unknown(text)
        if missing and unknown == "error":
            raise ValueError(f"{''.join(missing)!r} not in the vocabulary; allowed: "
                             f"{''.join(self.chars)!r}")
        ids = [self.index.get(c, UNK) for c in text]
        return torch.tensor([BOS] * bos + ids + [EOS] * eos, dtype=torch.int64)

    def decode(self, ids: torch.Tensor | Iterable[int], stop_at_eos: bool = True,
               specials: bool = False) -> str:
        """Ids back to a string, stopping at the first ``<eos>``; special tokens are dropped,
        or written as ``<pad>`` etc. with ``specials=True``."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(f"expected a 1-d tensor of ids, got shape {tuple(ids.shape)}")
            ids = ids.tolist()
        out = []
        for i in ids:
            i = int(i)
            if i == EOS and stop_at_eos:
                break
            if i < len(SPECIALS):
                if specials:
                    out.append(SPECIALS[i])
            else:
                out.append(self.tokens[i])
        return "".join(out)


# Dates ----------------------------------------------------------------------------------------

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIRST_DATE, LAST_DATE = dt.date(1950, 1, 1), dt.date(2049, 12, 31)
"""Two-digit years ("11/26/26") mean 1950-2049, so every date has one reading."""

# Every character the date writer can produce, and nothing it cannot: a fixed list, so the
# vocabulary does not depend on which dates a seed happened to draw.
DATE_SOURCE = CharVocab(string.ascii_letters + string.digits + " ,./-")
DATE_TARGET = CharVocab(string.digits + "-")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _num(n: int, rng: random.Random) -> str:
    """A day or month number, with a leading zero half the time."""
    return f"{n:02d}" if rng.random() < 0.5 else str(n)


def _mon(d: dt.date) -> str:
    return MONTHS[d.month - 1][:3]


class _NoLeadingZeros:
    def random(self) -> float:
        return 1.0


# Each writer takes (date, rng); the US forms put the month first and use slashes, the day-first
# form uses dots, so "05/06/26" (May 6) and "05.06.2026" (5 June) are never ambiguous.
DATE_FORMATS = {
    "weekday day month year": lambda d, r: f"{WEEKDAYS[d.weekday()]} {d.day} "
                                           f"{MONTHS[d.month - 1]} {d.year}",
    "weekday, month day, year": lambda d, r: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} "
                                             f"{d.day}, {d.year}",
    "wkd day mon year": lambda d, r: f"{WEEKDAYS[d.weekday()][:3]} {d.day} {_mon(d)} "
                                     f"{d.year}",
    "day month year": lambda d, r: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "day mon year": lambda d, r: f"{d.day} {_mon(d)} {d.year}",
    "day mon. year": lambda d, r: f"{d.day} {_mon(d).lower()}. {d.year}",
    "month day, year": lambda d, r: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "mon day, year": lambda d, r: f"{_mon(d)} {d.day}, {d.year}",
    "the dayth of month year": lambda d, r: f"the {_ordinal(d.day)} of {MONTHS[d.month - 1]} "
                                            f"{d.year}",
    "dayth mon year": lambda d, r: f"{_ordinal(d.day)} {_mon(d)} {d.year}",
    "mm/dd/yy": lambda d, r: f"{_num(d.month, r)}/{_num(d.day, r)}/{d.year % 100:02d}",
    "mm/dd/yyyy": lambda d, r: f"{_num(d.month, r)}/{_num(d.day, r)}/{d.year}",
    "dd.mm.yyyy": lambda d, r: f"{_num(d.day, r)}.{_num(d.month, r)}.{d.year}",
    "yyyy-mm-dd": lambda d, r: d.isoformat(),
}


def format_date(d: dt.date, style: str, rng: random.Random | None = None,
                case: str = "as is") -> str:
    """``d`` written in ``style`` (a key of ``DATE_FORMATS``), then in ``case``: "as is",
    "lower" or "upper". ``rng`` picks the optional leading zeros (none without one)."""
    if style not in DATE_FORMATS:
        raise ValueError(f"style must be one of {sorted(DATE_FORMATS)}, got {style!r}")
    if rng is None:
        rng = _NoLeadingZeros()
    text = DATE_FORMATS[style](d, rng)
    return {"as is": text, "lower": text.lower(), "upper": text.upper()}[case]


def random_date(rng: random.Random) -> dt.date:
    """A date uniformly between 1950-01-01 and 2049-12-31."""
    span = (LAST_DATE - FIRST_DATE).days
    return FIRST_DATE + dt.timedelta(days=rng.randint(0, span))


def _date_pair(rng: random.Random) -> tuple[str, str]:
    d = random_date(rng)
    style = rng.choice(list(DATE_FORMATS))
    case = rng.choices(["as is", "lower", "upper"], weights=[6, 3, 1])[0]
    return format_date(d, style, rng, case), d.isoformat()


def date_splits(seed: int = 0, n_train: int = 20000, n_val: int = 1000, n_test: int = 1000,
                n_long: int = 1000, long_quantile: float = 0.9) -> dict:
    """Train / validation / test pairs of (written date, ISO date), and ``"test_long"``: test
    inputs longer than ``long_quantile`` of the training inputs.

    No source string is in two splits (a date may be, written another way: the task is
    reading formats, not remembering dates). Returns a dict of the four lists and
    ``"long_threshold"``: the test_long inputs are longer than that many characters."""
    if not 0 < long_quantile < 1:
        raise ValueError(f"long_quantile must be between 0 and 1, got {long_quantile!r}")
    rng = random.Random(seed)
    seen: set[str] = set()

    def draw(n: int, keep=lambda src: True) -> list[tuple[str, str]]:
        out = []
        for _ in range(200 * n + 1000):
            if len(out) == n:
                return out
            src, tgt = _date_pair(rng)
            if src not in seen and keep(src):
                seen.add(src)
                out.append((src, tgt))
        raise ValueError(f"could not draw {n} distinct dates of this kind")

    train = draw(n_train)
    lengths = sorted(len(s) for s, _ in train)
    threshold = lengths[min(len(lengths) - 1, int(long_quantile * len(lengths)))]
    val, test = draw(n_val), draw(n_test)
    long = draw(n_long, keep=lambda src: len(src) > threshold)
    return {"train": train, "val": val, "test": test, "test_long": long,
            "long_threshold": threshold}


# Copy and reverse ---------------------------------------------------------------------------

SYMBOLS = "abcdefghijkl"


def symbol_vocab(symbols: str = SYMBOLS) -> CharVocab:
    return CharVocab(symbols)


def symbol_pairs(n: int, gen: torch.Generator, mode: str = "reverse", min_len: int = 5,
                 max_len: int = 40, symbols: str = SYMBOLS) -> list[tuple[str, str]]:
    """``n`` random strings over ``symbols``, lengths uniform in ``min_len..max_len``, each with
    its copy (``mode="copy"``) or its reverse (``mode="reverse"``)."""
    if mode not in ("copy", "reverse"):
        raise ValueError(f"mode must be 'copy' or 'reverse', got {mode!r}")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got {min_len}, {max_len}")
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=gen).tolist()
    pairs = []
    for length in lengths:
        ids = torch.randint(0, len(symbols), (length,), generator=gen).tolist()
        src = "".join(symbols[i] for i in ids)
        pairs.append((src, src if mode == "copy" else src[::-1]))
    return pairs


def symbol_splits(seed: int = 0, mode: str = "reverse", n_train: int = 20000, n_val: int = 500,
                  n_test: int = 2000, min_len: int = 5, max_len: int = 40) -> dict:
    """Train / validation / test pairs for copy or reverse, from one seeded generator.

    Strings of length 10 and more are practically never repeated (12**10 of them); the few
    short ones a test set shares with training are kept, and tell as much as any other."""
    gen = torch.Generator().manual_seed(seed)
    return {name: symbol_pairs(n, gen, mode, min_len, max_len)
            for name, n in (("train", n_train), ("val", n_val), ("test", n_test))}


# Batches ------------------------------------------------------------------------------------

@dataclass
class Batch:
    """A padded batch for an encoder-decoder.

    * ``src`` (B, S) int64: source ids padded with ``<pad>``, S the longest source;
    * ``src_lengths`` (B,) int64: each source's length, for packing and for the attention mask;
    * ``tgt_in`` (B, T) int64: ``<bos>`` + target, padded: what the decoder reads (teacher
      forcing);
    * ``tgt_out`` (B, T) int64: target + ``<eos>``, padded: what it must write. ``<pad>``
      positions are ignored by the loss (``ignore_index=PAD``).

    ``batch.to(device)`` moves all four; ``rnnlab.train.fit`` calls it."""

    src: torch.Tensor
    src_lengths: torch.Tensor
    tgt_in: torch.Tensor
    tgt_out: torch.Tensor

    def to(self, device) -> Batch:
        return Batch(self.src.to(device), self.src_lengths.to(device), self.tgt_in.to(device),
                     self.tgt_out.to(device))

    def __len__(self) -> int:
        return self.src.shape[0]


def _pad(rows: list[torch.Tensor]) -> torch.Tensor:
    return torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=PAD)


def make_batch(pairs: Sequence[tuple[str, str]], src_vocab: CharVocab,
               tgt_vocab: CharVocab) -> Batch:
    """A ``Batch`` from (source, target) string pairs. Empty sources are refused (there is
    nothing to encode); a character outside a vocabulary raises a one-line ValueError."""
    if not pairs:
        raise ValueError("expected at least one (source, target) pair")
    srcs, tins, touts = [], [], []
    for src, tgt in pairs:
        if not src:
            raise ValueError("a source string is empty: the encoder needs at least one character")
        srcs.append(src_vocab.encode(src))
        t = tgt_vocab.encode(tgt)
        tins.append(torch.cat([torch.tensor([BOS]), t]))
        touts.append(torch.cat([t, torch.tensor([EOS])]))
    lengths = torch.tensor([len(s) for s in srcs], dtype=torch.int64)
    return Batch(_pad(srcs), lengths, _pad(tins), _pad(touts))


def batch_stream(pairs: Sequence[tuple[str, str]], src_vocab: CharVocab, tgt_vocab: CharVocab,
                 batch_size: int, gen: torch.Generator) -> Iterator[Batch]:
    """Endless shuffled batches: each pass over ``pairs`` is a fresh permutation from ``gen``
    (its last incomplete batch is dropped; fewer pairs than ``batch_size`` make one batch).
    For ``rnnlab.train.fit``, wrap as ``((b, b.tgt_out) for b in batch_stream(...))``."""
    if batch_size < 1 or len(pairs) < 1:
        raise ValueError(f"need batch_size >= 1 and some pairs, got {batch_size}, {len(pairs)}")
    while True:
        order = torch.randperm(len(pairs), generator=gen).tolist()
        for start in range(0, max(len(order) - batch_size + 1, 1), batch_size):
            yield make_batch([pairs[i] for i in order[start:start + batch_size]], src_vocab,
                             tgt_vocab)
