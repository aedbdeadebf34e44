"""Synthetic sequence tasks for lesson 09, each generated from a ``torch.Generator``.

Every task is posed to a language model as "predict a token": the inputs are token ids and the
answer is a token id too, read from the model's logits at the last position (or, for the copy
task, at several positions), so the same models serve the text and the tasks.

* ``parity_batch``: is the number of 1s in a bit string odd? A regular language: a two-state
  automaton decides it at any length. Deletang et al. (ICLR 2023, "Neural networks and the
  Chomsky hierarchy") train on lengths up to 40 and test on 41..500; there LSTMs generalise on
  their regular tasks while Transformers do not.
* ``anbn_batch``: is the string a^n b^n, or a^n b^m with m != n? Needs a counter (Weiss et al.
  2018 found LSTMs learn it and GRUs do not).
* ``recall_batch``: associative recall: key-value pairs, then a query key; the answer is its value.
  A lookup that attention does in one step and a recurrent state must hold for every pair.
* ``copy_batch``: copy a few symbols after a long gap of blanks (Hochreiter & Schmidhuber 1997;
  Arjovsky et al. 2016).
* ``lookup_batch``: n random symbols, then a query naming a position; the answer is the symbol
  there. One attention step can match the query to the position; a recurrent state must hold
  all n symbols, since it reads the query last.

Shapes: ``x`` (batch, length) int64 inputs; ``y`` (batch,) int64 answers, or for ``copy_batch``
(batch, length) with ``IGNORE`` wherever nothing is asked (``F.cross_entropy`` skips it).
"""

from __future__ import annotations

import torch

__all__ = ["IGNORE", "parity_batch", "anbn_batch", "recall_batch", "recall_vocab_size",
           "copy_batch", "copy_vocab_size", "lookup_batch", "lookup_vocab_size"]

IGNORE = -100     # F.cross_entropy's default ignore_index


def _positive_int(name: str, value, least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise ValueError(f"expected {name} an int >= {least}, got {value!r}")
    return value


def parity_batch(batch: int, length: int, gen: torch.Generator):
    """Bit strings and their parity. Vocabulary: 0, 1.

    ``x`` (batch, length) of uniform random bits, ``y`` (batch,) = number of 1s mod 2, so 0 and 1
    are equally likely at every length."""
    _positive_int("batch", batch)
    _positive_int("length", length)
    x = torch.randint(0, 2, (batch, length), generator=gen)
    return x, x.sum(dim=1) % 2


def anbn_batch(batch: int, length: int, gen: torch.Generator):
    """Strings ``a^n b^m`` of an even ``length`` >= 4; the answer is 1 when n == m. Vocabulary:
    0 = a, 1 = b (the answer reuses these ids: 1 = yes, 0 = no).

    Half the rows (chosen at random) are positives, n = m = length / 2; the rest have n drawn
    uniformly from 1..length-1 without length / 2, so every string holds at least one a and one
    b, and a near miss (n = length/2 +- 1) is as likely as any other count."""
    _positive_int("batch", batch)
    _positive_int("length", length, 4)   # length 2 has no negative: ab is a^1 b^1
    if length % 2:
        raise ValueError(f"expected an even length (a^n b^n has 2n symbols), got {length}")
    half = length // 2
    positive = torch.rand(batch, generator=gen) < 0.5
    others = torch.randint(1, length - 1, (batch,), generator=gen)   # 1..length-2
    n_neg = others + (others >= half).long()                         # skip half: 1..length-1
    n = torch.where(positive, torch.full_like(n_neg, half), n_neg)
    x = (torch.arange(length)[None, :] >= n[:, None]).long()         # n a's (0), then b's (1)
    return x, positive.long()


def recall_vocab_size(n_keys: int, n_values: int) -> int:
    """Tokens of ``recall_batch``: keys, values and the query marker."""
    return n_keys + n_values + 1


def recall_batch(batch: int, n_pairs: int, gen: torch.Generator, n_keys: int = 16,
                 n_values: int = 16):
    """Associative recall: ``k_1 v_1 ... k_N v_N ? q``, the answer is the value stored with q.

    Keys are ids 0..n_keys-1 (distinct within a row), values n_keys..n_keys+n_values-1 (drawn
    with replacement), the marker ``?`` is the last id; q is one of the row's keys, uniformly.
    ``x`` (batch, 2 n_pairs + 2), ``y`` (batch,) a value id. The gap between the pair and the
    question ranges from 1 to 2 n_pairs positions."""
    _positive_int("batch", batch)
    _positive_int("n_pairs", n_pairs)
    if n_pairs > n_keys:
        raise ValueError(f"expected n_pairs <= n_keys (keys are distinct), got {n_pairs} > "
                         f"{n_keys}")
    keys = torch.rand(batch, n_keys, generator=gen).argsort(dim=1)[:, :n_pairs]
    values = n_keys + torch.randint(0, n_values, (batch, n_pairs), generator=gen)
    pairs = torch.stack([keys, values], dim=2).reshape(batch, 2 * n_pairs)
    which = torch.randint(0, n_pairs, (batch,), generator=gen)
    rows = torch.arange(batch)
    marker = torch.full((batch, 1), n_keys + n_values)
    x = torch.cat([pairs, marker, keys[rows, which][:, None]], dim=1)
    return x, values[rows, which]


def copy_vocab_size(n_symbols: int) -> int:
    """Tokens of ``copy_batch``: the symbols, a blank and a go marker."""
    return n_symbols + 2


def copy_batch(batch: int, n_copy: int, gap: int, gen: torch.Generator, n_symbols: int = 8):
    """Copy after a gap: ``s_1 .. s_M``, ``gap`` blanks, ``go``, M blanks; the answers at the
    last M positions are s_1 .. s_M.

    Symbols are ids 0..n_symbols-1, blank is n_symbols, go is n_symbols + 1. ``x`` and ``y``
    are (batch, 2 M + gap + 1); ``y`` is ``IGNORE`` except at the last M positions. A model
    that never saw the symbols can do no better than log(n_symbols) nats per answer."""
    _positive_int("batch", batch)
    _positive_int("n_copy", n_copy)
    _positive_int("gap", gap, 0)
    blank, go = n_symbols, n_symbols + 1
    symbols = torch.randint(0, n_symbols, (batch, n_copy), generator=gen)
    x = torch.cat([symbols, torch.full((batch, gap), blank), torch.full((batch, 1), go),
                   torch.full((batch, n_copy), blank)], dim=1)
    y = torch.full_like(x, IGNORE)
    y[:, -n_copy:] = symbols
    return x, y


def lookup_vocab_size(n: int, n_symbols: int = 8) -> int:
    """Tokens of ``lookup_batch``: the symbols and one query token per position."""
    return n_symbols + _positive_int("n", n)


def lookup_batch(batch: int, n: int, gen: torch.Generator, n_symbols: int = 8):
    """Positional lookup: ``s_0 .. s_{n-1} q_p``, the answer is s_p.

    Symbols are ids 0..n_symbols-1, drawn uniformly; the query "what was at position p" is id
    n_symbols + p, with p uniform in 0..n-1. ``x`` (batch, n + 1), ``y`` (batch,) a symbol id.
    The query comes last, so a model reading left to right must keep every symbol until then
    (n log2(n_symbols) bits); chance is 1 / n_symbols."""
    _positive_int("batch", batch)
    _positive_int("n", n)
    _positive_int("n_symbols", n_symbols)
    symbols = torch.randint(0, n_symbols, (batch, n), generator=gen)
    where = torch.randint(0, n, (batch,), generator=gen)
    x = torch.cat([symbols, (n_symbols + where)[:, None]], dim=1)
    return x, symbols[torch.arange(batch), where]
