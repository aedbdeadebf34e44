"""The baselines a character-level language model has to beat, in bits per character: counting
models (add-one and interpolated Kneser-Ney n-grams) and general-purpose compressors.

    vocab = OpenVocab(split.train)
    kn = KneserNey(split.train, vocab, order=5)
    kn.probs("the quick ")             # (len(vocab),) float64, sums to 1, over vocab.chars
    kn.surprisal("for x in")           # (8,) bits of each character given the ones before it
    kn.bits_per_char(split.test)       # the mean of those bits
    compressor_bits(split.train, split.test, "lzma")

Bits per character (bpc) is the mean of -log2 p(next character | the characters before it) over
a held-out text; perplexity is ``2 ** bpc``, the number of equally likely characters that would
be as hard to guess. A loss in nats (PyTorch's cross-entropy) becomes bits by dividing by ln 2.

References: R. Kneser and H. Ney, "Improved backing-off for m-gram language modeling", ICASSP
1995. S. F. Chen and J. Goodman, "An empirical study of smoothing techniques for language
modeling", Computer Speech and Language 13 (1999), 359-394 (interpolated, modified Kneser-Ney).
The code here is written from those formulas.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import math
import time
from collections import Counter

import numpy as np

from rnnlab.corpus import OpenVocab


def nats_to_bits(nats: float) -> float:
    """A cross-entropy in nats (natural log) as bits (log base 2)."""
    return nats / math.log(2)


def perplexity(bpc: float) -> float:
    """Perplexity from bits per character: ``2 ** bpc``."""
    return 2.0 ** bpc


class CharNgram:
    """What every counting model here shares: an alphabet (the vocabulary's characters, in id
    order, UNK last), an order n (each character is predicted from the n - 1 before it), and
    scoring. Subclasses define ``_prob(history, ch)`` and ``_probs(history)``, where
    ``history`` holds at most n - 1 characters, already normalized by the vocabulary."""

    def __init__(self, vocab: OpenVocab, order: int):
        if not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an int >= 1, got {order!r}")
        self.vocab, self.order = vocab, order
        self.alphabet: list[str] = list(vocab.chars)

    def _history(self, context: str) -> str:
        n1 = self.order - 1
        return self.vocab.normalize(context[-n1:]) if n1 else ""

    def probs(self, context: str) -> np.ndarray:
        """p(next character | context) over ``alphabet``: (len(alphabet),) float64, sums to 1.
        Only the last order - 1 characters of ``context`` count; any string is accepted."""
        if not isinstance(context, str):
            raise ValueError(f"expected a string, got {type(context).__name__}")
        return self._probs(self._history(context))

    def surprisal(self, text: str) -> np.ndarray:
        """(len(text),) float64: -log2 p(text[i] | text[:i]) in bits. The first characters are
        scored with the shorter history they have; unknown characters are scored as UNK."""
        if not isinstance(text, str) or not text:
            raise ValueError("expected a non-empty string")
        text = self.vocab.normalize(text)
        n1 = self.order - 1
        p = np.fromiter((self._prob(text[max(0, i - n1):i], text[i]) for i in range(len(text))),
                        dtype=np.float64, count=len(text))
        return -np.log2(p)

    def bits_per_char(self, text: str) -> float:
        """The mean surprisal of ``text``, in bits per character."""
        return float(self.surprisal(text).mean())


class AddOne(CharNgram):
    """Laplace's add-one estimate: p(w | h) = (c(hw) + 1) / (c(h) + V), with c counts of the
    training text and V the alphabet size. Order 1 is the unigram model, order 2 the bigram.
    Every character gets a share, so none has probability zero, but the share given to the
    unseen is the same whatever the context: the crudest smoothing there is."""

    def __init__(self, train: str, vocab: OpenVocab, order: int = 2):
        super().__init__(vocab, order)
        train = vocab.normalize(train)
        self.V = len(self.alphabet)
        self.counts = Counter(train[i:i + order] for i in range(len(train) - order + 1))
        self.totals = Counter()                  # c(h) = sum over w of c(hw)
        for gram, c in self.counts.items():
            self.totals[gram[:-1]] += c
        self._short = AddOne(train, vocab, order - 1) if order > 1 else None

    def _prob(self, history: str, ch: str) -> float:
        if len(history) < self.order - 1:        # start of a text: the shorter model
            return self._short._prob(history, ch)
        return (self.counts.get(history + ch, 0) + 1) / (self.totals.get(history, 0) + self.V)

    def _probs(self, history: str) -> np.ndarray:
        if len(history) < self.order - 1:
            return self._short._probs(history)
        c = np.array([self.counts.get(history + a, 0) for a in self.alphabet], dtype=np.float64)
        return (c + 1) / (self.totals.get(history, 0) + self.V)


def _discounts(counts) -> tuple[float, float, float]:
    """Modified Kneser-Ney discounts (D1, D2, D3+) from the counts of counts n_r (how many
    k-grams have count r), as Chen & Goodman (1999) estimate them:
    Y = n1 / (n1 + 2 n2),  D_r = r - (r + 1) Y n_{r+1} / n_r.
    Each is kept in [0.05, r]: above zero so an unseen character always keeps some probability,
    at most r so that no count goes negative (which would break the sum to one)."""
    n = Counter(c for c in counts if c <= 4)
    y = n[1] / (n[1] + 2 * n[2]) if n[1] + 2 * n[2] else 0.5
    ds = []
    for r in (1, 2, 3):
        d = r - (r + 1) * y * n[r + 1] / n[r] if n[r] else r / 2
        ds.append(min(max(d, 0.05), float(r)))
    return ds[0], ds[1], ds[2]


class KneserNey(CharNgram):
    """Interpolated Kneser-Ney with modified discounts, as in Chen & Goodman (1999) after Kneser &
    Ney (1995); see the module's references.

    At level k (k characters: a context h of k - 1 characters and the next one w):

        p_k(w | h) = (c_k(hw) - D_k(c_k(hw))) / c_k(h)  +  gamma_k(h) * p_{k-1}(w | h minus its
                                                           first character)
        gamma_k(h) = (D1 N1(h.) + D2 N2(h.) + D3+ N3+(h.)) / c_k(h)

    with c_k(h) = sum over w of c_k(hw), N_r(h.) the number of characters w with c_k(hw) = r
    (N3+ : at least 3), D(0) = 0, and p_0(w) = 1 / V, uniform over the alphabet. At the top level
    (k = order) c_k counts occurrences in the training text. Below it c_k(hw) is the
    continuation count: how many different characters precede hw in the training text. That
    is Kneser and Ney's idea: a lower level is used only when the longer context is rare, so it
    should say how many contexts a character follows, not how often it occurs ("ython" is
    frequent, but after almost nothing but "P"). A context h never seen at a level
    (c_k(h) = 0) passes the level below through unchanged. Each level sums to one over the
    alphabet, and p_0 > 0 and gamma_k > 0 make every probability positive, including UNK's.
    """

    def __init__(self, train: str, vocab: OpenVocab, order: int = 5):
        super().__init__(vocab, order)
        train = vocab.normalize(train)
        self.V = len(self.alphabet)
        raw = Counter(train[i:i + order] for i in range(len(train) - order + 1))
        self.counts: list[dict[str, int]] = [{}] * (order + 1)     # level k -> k-gram -> c_k
        self.counts[order] = dict(raw)
        for k in range(order - 1, 0, -1):
            # Continuation counts: the distinct (k+1)-grams that end in each k-gram.
            longer = raw if k == order - 1 else Counter(
                train[i:i + k + 1] for i in range(len(train) - k))
            self.counts[k] = dict(Counter(g[1:] for g in longer))
            raw = longer
        self.discounts = [(0.0, 0.0, 0.0)] + [_discounts(self.counts[k].values())
                                              for k in range(1, order + 1)]
        # Per level, each context h -> (c_k(h), D1 N1(h.) + D2 N2(h.) + D3+ N3+(h.)).
        self.contexts: list[dict[str, tuple[int, float]]] = [{}]
        for k in range(1, order + 1):
            d = self.discounts[k]
            stats: dict[str, list[float]] = {}
            for gram, c in self.counts[k].items():
                s = stats.setdefault(gram[:-1], [0, 0.0])
                s[0] += c
                s[1] += d[min(c, 3) - 1]
            self.contexts.append({h: (int(t), g) for h, (t, g) in stats.items()})

    def _prob(self, history: str, ch: str) -> float:
        p = 1.0 / self.V
        for k in range(1, len(history) + 2):
            h = history[len(history) - k + 1:]
            st = self.contexts[k].get(h)
            if st is None:
                continue
            total, gamma_num = st
            c = self.counts[k].get(h + ch, 0)
            own = c - self.discounts[k][min(c, 3) - 1] if c else 0.0
            p = (own + gamma_num * p) / total
        return p

    def _probs(self, history: str) -> np.ndarray:
        p = np.full(self.V, 1.0 / self.V)
        for k in range(1, len(history) + 2):
            h = history[len(history) - k + 1:]
            st = self.contexts[k].get(h)
            if st is None:
                continue
            total, gamma_num = st
            c = np.array([self.counts[k].get(h + a, 0) for a in self.alphabet], dtype=np.int64)
            d = np.array((0.0,) + self.discounts[k])[np.minimum(c, 3)]
            p = (c - d + gamma_num * p) / total
        return p


COMPRESSORS = {
    "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
    "bz2": lambda data: bz2.compress(data, compresslevel=9),
    "lzma": lambda data: lzma.compress(data, preset=9 | lzma.PRESET_EXTREME),
}


def compressor_bits(train: str, test: str, method: str) -> dict[str, float]:
    """Bits per character a compressor needs for ``test``, alone and given ``train``.

    ``given_train`` is (size(compress(train + test)) - size(compress(train))) * 8 / len(test):
    what the compressed file grows by when the held-out text follows the training text, so the
    compressor can reuse what it saw. That is the fair comparison with a model trained on
    ``train``. ``alone`` compresses ``test`` by itself. Texts are UTF-8; bits are divided by
    characters, not bytes. gzip only looks 32 KB back, so the training text helps it little;
    bz2 works in blocks of 900 kB and lzma has a dictionary of 64 MB, so they see all of it."""
    if method not in COMPRESSORS:
        raise ValueError(f"method must be one of {sorted(COMPRESSORS)}, got {method!r}")
    if not test:
        raise ValueError("expected a non-empty held-out text")
    squeeze = COMPRESSORS[method]
    a, b = train.encode("utf-8"), test.encode("utf-8")
    both, first = len(squeeze(a + b)), len(squeeze(a))
    return {"given_train": 8 * (both - first) / len(test),
            "alone": 8 * len(squeeze(b)) / len(test)}


def baseline_table(train: str, test: str, vocab: OpenVocab, orders=range(1, 7),
                   compressors=("gzip", "bz2", "lzma")) -> list[dict]:
    """Every baseline scored on ``test`` after fitting on ``train``: one row per model with
    ``name``, ``bpc``, ``perplexity`` and ``seconds`` (fit and score, on this machine); counting
    models add ``score_seconds``, compressors ``alone_bpc`` (the held-out text by itself)."""
    rows = []

    def add(name, fn):
        start = time.perf_counter()
        bpc, extra = fn()
        rows.append({"name": name, "bpc": bpc, "perplexity": perplexity(bpc),
                     "seconds": time.perf_counter() - start, **extra})

    def counting(make):
        model = make()
        start = time.perf_counter()
        bpc = model.bits_per_char(test)
        return bpc, {"score_seconds": time.perf_counter() - start}

    def squeezing(method):
        got = compressor_bits(train, test, method)
        return got["given_train"], {"alone_bpc": got["alone"]}

    add("unigram (add-one)", lambda: counting(lambda: AddOne(train, vocab, 1)))
    add("bigram (add-one)", lambda: counting(lambda: AddOne(train, vocab, 2)))
    for n in orders:
        add(f"Kneser-Ney, order {n}",
            lambda n=n: counting(lambda: KneserNey(train, vocab, n)))
    for method in compressors:
        add(f"{method}, given the training text", lambda m=method: squeezing(m))
    return rows
