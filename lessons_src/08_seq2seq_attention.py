# %% [markdown] slideshow={"slide_type": "slide"}
# # 08 · Seq2seq and attention
#
# **You will be able to**
# - build an encoder-decoder (embeddings, `<bos>`/`<eos>`/`<pad>`, packing, loss masking) from
#   the course's pieces and prove it computes what the library model computes;
# - measure the fixed-vector bottleneck (accuracy by input length, with and without attention),
#   exposure bias (teacher-forced against free-running accuracy) and beam search against greedy;
# - write additive and scaled dot-product attention with masks, check the second against
#   `torch.nn.functional.scaled_dot_product_attention`, and read an attention map.
#
# **Prerequisites:** lessons 02 (packing and padding) and 06 (the GRU; bidirectional layers).
# **Run time:** about 40 seconds on a laptop CPU.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea: read everything, then write, and look back while writing
#
# Some tasks map a sequence to a sequence of a different length: a date written
# `"Thursday 26 November 2026"` to `2026-11-26`, a sentence to its translation. An
# **encoder-decoder** (Sutskever et al. 2014; Cho et al. 2014) splits the work:
#
# ```
#                 encoder                                      decoder
#  reads:     T    h    u  ...   6                     <bos>    2      0  ...     6
#             ↓    ↓    ↓        ↓                       ↓      ↓      ↓          ↓
#  states:   h_1  h_2  h_3 ...  h_S ──summary──▶ s_0 ─▶ s_1 ─▶ s_2 ─▶ s_3 ... ─▶ s_T
#                                                        ↓      ↓      ↓          ↓
#  writes:                                               2      0      2  ...   <eos>
# ```
#
# The encoder reads the whole source; the decoder writes the target one token at a time, each
# step reading the token it wrote before. Without attention the decoder sees the source only
# through **one fixed vector** (the encoder's final states), however long the source is. With
# **attention** (Bahdanau, Cho and Bengio 2015) it computes, at every output step, a weighted
# average of *all* encoder states `h_j`, with weights that say where to look:
#
# - scores `e_ij = score(s_{i-1}, h_j)` for every source position j,
# - weights `a_ij = softmax_j(e_ij)` (zero at padded positions),
# - context `c_i = Σ_j a_ij h_j`, fed to the decoder step with the previous token.
#
# Notation: `S` is the source length and `T` the target length (with `<eos>`); `i` an output
# step, `j` a source position; `h_j` an encoder state, `s_i` a decoder state. The rest is the
# start page's table.

# %% slideshow={"slide_type": "skip"}
# %matplotlib widget
import json
import math
from pathlib import Path

import numpy as np
import torch
from IPython.display import Markdown, display
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import rnnlab
from rnnlab.attention import masked_softmax, sequence_mask
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.course import next_lesson
from rnnlab.quiz import Quiz
from rnnlab.seq2seq import (
    Seq2Seq,
    accuracy_by_length,
    answer,
    beam_search,
    evaluate,
    greedy_decode,
    iso_date_problem,
    load_checkpoint,
    position_accuracy,
    sequence_loss,
)
from rnnlab.seq2seq_explorers import AttentionExplorer
from rnnlab.seqtasks import (
    DATE_SOURCE,
    DATE_TARGET,
    PAD,
    CharVocab,
    batch_stream,
    date_splits,
    make_batch,
    symbol_pairs,
    symbol_splits,
    symbol_vocab,
)
from rnnlab.train import seed_everything
from rnnlab.widgets import canvas_widget, figure

quiz = Quiz("l08")
gen = seed_everything(0)  # also one CPU thread: faster for models this small

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Two tasks, generated here
#
# **Dates**: 14 ways of writing a date between 1950 and 2049, in three cases, to ISO 8601. A
# second test set, `test_long`, holds only inputs longer than 90% of the training inputs.
# **Reversal**: strings of 5 to 40 symbols from `a..l`, reversed. The first task is
# translation-like and its alignment can be read by eye; in the second every output symbol
# needs one particular input symbol, which makes the bottleneck easy to see.

# %%
dates = date_splits(seed=0)
for src, tgt in dates["train"][:6]:
    print(f"{src!r:>32} -> {tgt}")
display(Markdown(
    f"{len(dates['train'])} training, {len(dates['val'])} validation and {len(dates['test'])} "
    f"test pairs; `test_long`: {len(dates['test_long'])} inputs longer than "
    f"{dates['long_threshold']} characters. No source string is in two splits."))

# %% [markdown]
# A batch pads short rows with `<pad>` (id 0). The decoder reads `tgt_in` = `<bos>` + target
# (it must start from something) and must write `tgt_out` = target + `<eos>` (it must say when
# it is done): the same tokens, shifted by one.

# %%
batch = make_batch(dates["train"][:3], DATE_SOURCE, DATE_TARGET)
print("src lengths:", batch.src_lengths.tolist())
for b in range(3):
    print(f"src {DATE_SOURCE.decode(batch.src[b], specials=True)}")
print(f"tgt_in  {DATE_TARGET.decode(batch.tgt_in[0], specials=True)}")
print(f"tgt_out {DATE_TARGET.decode(batch.tgt_out[0], stop_at_eos=False, specials=True)}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The encoder-decoder from scratch
#
# We take the weights of a small, untrained `rnnlab.seq2seq.Seq2Seq` (float64) and write its
# forward pass ourselves, with PyTorch's own `nn.GRU` for the encoder and `nn.GRUCell` for the
# decoder (lesson 06 showed ours equal to them). Here the score is Luong's "general" dot
# product `e_ij = s_{i-1} · (W_k h_j)`, read from the previous decoder state as in Bahdanau's
# model; section 7 adds Bahdanau's additive score.
#
# **Encoder**: an embedding, then a bidirectional GRU over the *packed* source (lesson 02), so
# padding never enters the recurrence. `H_enc` `(B, S, 2H)` holds every `h_j`; the summary is
# the two directions' final states.

# %%
torch.manual_seed(0)
model = Seq2Seq(len(DATE_SOURCE), len(DATE_TARGET), embed_size=8, hidden_size=16,
                attention="dot").double()
enc_gru = nn.GRU(8, 16, batch_first=True, bidirectional=True).double()
enc_gru.load_state_dict(model.encoder.rnn.state_dict())


def encode(src, src_lengths):
    """src (B, S) ids -> H_enc (B, S, 2H), zero at padded positions, and summary (B, 2H)."""
    x = model.encoder.embedding.weight[src]                    # (B, S, E)
    packed = pack_padded_sequence(x, src_lengths, batch_first=True, enforce_sorted=False)
    out, h_n = enc_gru(packed)                                 # h_n (2, B, H): both directions
    H_enc, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
    return H_enc, torch.cat([h_n[0], h_n[1]], dim=-1)


# %% [markdown]
# **One decoder step**: score every encoder state against the previous decoder state, turn the
# scores into weights with a softmax that gives padded positions weight 0 (`masked_softmax`
# sets their scores to −∞ first, and `exp(−∞) = 0`), take the weighted average as the context,
# and feed `[embedding of y_{i-1}; c_i]` to the GRU cell. The output layer reads the new state,
# the context and the previous token.

# %%
dec = model.decoder
W_k = dec.attention.key_proj.weight                          # (H, 2H)
dec_cell = nn.GRUCell(8 + 32, 16).double()
dec_cell.load_state_dict({k.replace("_l0", ""): v for k, v in dec.rnn.state_dict().items()})


def attend(s_prev, H_enc, mask):
    """s_prev (B, H), H_enc (B, S, 2H), mask (B, S) -> context (B, 2H), weights (B, S)."""
    scores = (H_enc @ W_k.T @ s_prev[:, :, None]).squeeze(-1)  # e_j = s_prev · (W_k h_j)
    weights = masked_softmax(scores, mask)
    return (weights[:, :, None] * H_enc).sum(dim=1), weights


def decode_teacher_forced(H_enc, summary, mask, tgt_in):
    """Logits (B, T, V) and attention weights (B, T, S), reading the true previous tokens."""
    s = torch.tanh(dec.bridge(summary))                        # s_0 from the summary
    logits, weights = [], []
    for i in range(tgt_in.shape[1]):
        y_prev = dec.embedding.weight[tgt_in[:, i]]            # teacher forcing
        c, a = attend(s, H_enc, mask)                          # looks at the old state s_{i-1}
        s = dec_cell(torch.cat([y_prev, c], dim=-1), s)
        logits.append(dec.out(torch.cat([s, c, y_prev], dim=-1)))
        weights.append(a)
    return torch.stack(logits, dim=1), torch.stack(weights, dim=1)


# %% [markdown]
# Without attention, the line `c, a = attend(...)` becomes `c = summary`: the same vector at
# every step. That is the whole difference between the two models this lesson compares.
# Now the check, on a padded batch of eight dates:

# %%
batch = make_batch(dates["train"][:8], DATE_SOURCE, DATE_TARGET)
mask = batch.src != PAD
H_enc, summary = encode(batch.src, batch.src_lengths)
ours, our_weights = decode_teacher_forced(H_enc, summary, mask, batch.tgt_in)
theirs, their_weights = model(batch.src, batch.src_lengths, batch.tgt_in)
build_diff = max((ours - theirs).abs().max().item(),
                 (our_weights - their_weights).abs().max().item())
print(f"from-scratch encoder-decoder vs rnnlab Seq2Seq: logits and attention weights agree to "
      f"{build_diff:.1e} (float64, a padded batch of {len(batch)})")
assert build_diff < 1e-10
pad_weight = our_weights.masked_select(~mask[:, None, :].expand_as(our_weights))
print(f"weight on padded source positions: max {pad_weight.abs().max().item():.1f} over "
      f"{pad_weight.numel()} (step, position) pairs; encoder states there: "
      f"{H_enc[~mask].abs().max().item():.1f}")
assert pad_weight.abs().max().item() == 0.0

# %% [markdown]
# **Loss masking.** Reversal targets have different lengths, so `tgt_out` is padded too. The
# loss is the cross-entropy per *real* token: `ignore_index=PAD` gives padded positions zero
# loss and zero gradient. A padded batch then scores each sequence exactly as it scores alone.

# %%
sym = symbol_vocab()
torch.manual_seed(1)
rev_model = Seq2Seq(len(sym), len(sym), embed_size=8, hidden_size=16).double()
pairs = symbol_pairs(4, torch.Generator().manual_seed(3), "reverse", 3, 9)
rb = make_batch(pairs, sym, sym)
logits, _ = rev_model(rb.src, rb.src_lengths, rb.tgt_in)
per_token = F.cross_entropy(logits.transpose(1, 2), rb.tgt_out, ignore_index=PAD,
                            reduction="none")
padded = rb.tgt_out == PAD
alone = []
for p in pairs:
    one = make_batch([p], sym, sym)
    alone.append(sequence_loss(rev_model(one.src, one.src_lengths, one.tgt_in)[0], one.tgt_out))
together = per_token.sum(1) / (~padded).sum(1)
alone_diff = (torch.stack(alone) - together).abs().max().item()
print(f"{int(padded.sum())} padded target positions; their loss: "
      f"{per_token[padded].abs().max().item():.1f}. Each sequence's loss alone vs in the "
      f"padded batch: max |difference| {alone_diff:.1e}")
assert per_token[padded].abs().max().item() == 0.0 and alone_diff < 1e-10

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Models trained for longer, loaded
#
# Training to convergence takes minutes, more than a lesson has. `benchmarks/seq2seq.py`
# trained four models of the same size (a bidirectional GRU encoder, a GRU decoder): dates and
# reversal, each without attention (`none`: one fixed context vector) and with additive
# attention, from the same seed on the same batches. The lesson loads its checkpoints and its
# results file; the numbers below marked *loaded* were measured there, the others here.

# %%
RESULTS = Path(rnnlab.__file__).resolve().parent.parent / "benchmarks" / "results"
bench = json.loads((RESULTS / "seq2seq.json").read_text())
runs = {(r["task"], r["model"]): r for r in bench["runs"]}
loaded = {key: load_checkpoint(RESULTS / f"seq2seq_{key[0]}_{key[1]}.pt") for key in runs}
settings = bench["settings"]
print(f"loaded: written by benchmarks/seq2seq.py on {bench['date']}, seed {settings['seed']}, "
      f"torch {bench['torch']}, {bench['threads']} thread(s); budget {settings['seconds']:.0f} s "
      f"per date model, {settings['seconds'] * settings['reverse_factor']:.0f} s per reversal "
      f"model")
print(f"{'task':<8}{'attention':<11}{'params':>8}{'steps':>7}{'seconds':>9}  "
      f"{'stopped by':<12}{'test exact':>11}")
for (task, kind), r in runs.items():
    print(f"{task:<8}{kind:<11}{r['parameters']:>8}{r['steps']:>7}{r['seconds']:>9.0f}  "
          f"{r['stopped_because']:<12}{r['test']['exact']:>11.3f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. The bottleneck: accuracy by input length
#
# The reversal test set of the benchmark (1400 strings never trained on), decoded greedily here
# by the two loaded reversal models. Exact match: the whole output right; character accuracy:
# the share of positions right.

# %%
rev_test = symbol_splits(settings["seed"], "reverse", n_train=settings["n_train"], n_val=300,
                         n_test=1400)["test"]
EDGES = [5, 10, 15, 20, 25, 30, 35, 41]
by_length = {}
for kind in ("none", "additive"):
    m, sv, tv, meta = loaded[("reverse", kind)]
    by_length[kind] = accuracy_by_length(evaluate(m, rev_test, sv, tv, meta["max_len"]), EDGES)
print(f"{'length':>8}{'n':>6}  {'exact, no attention':>20}{'with attention':>16}  "
      f"{'chars, no attention':>20}")
for a, b in zip(by_length["none"], by_length["additive"], strict=True):
    print(f"{a['lengths']:>8}{a['n']:>6}  {a['exact']:>20.3f}{b['exact']:>16.3f}  "
          f"{a['char_acc']:>20.3f}")
plain, attn = by_length["none"], by_length["additive"]
assert plain[0]["exact"] > 0.5 and plain[-1]["exact"] < 0.05
assert all(r["exact"] > 0.95 for r in attn)
assert plain[-1]["char_acc"] < plain[0]["char_acc"] - 0.5

# %%
fig, ax = figure(figsize=(6.4, 3.0))
centres = [(lo + hi) / 2 for lo, hi in zip(EDGES[:-1], EDGES[1:], strict=False)]
for kind, colour in (("none", "tab:orange"), ("additive", "tab:blue")):
    loaded_rows = runs[("reverse", kind)]["test"]["by_length"]
    label = "no attention" if kind == "none" else "additive attention"
    ax.plot(centres, [r["exact"] for r in loaded_rows], "o-", color=colour,
            label=f"{label}: exact match")
    ax.plot(centres, [r["char_acc"] for r in loaded_rows], "s:", color=colour, ms=3,
            label=f"{label}: characters")
ax.set_xlabel("source length")
ax.set_ylabel("test accuracy (loaded)")
ax.set_ylim(-0.03, 1.05)
ax.legend(fontsize=7, loc="center right")
display(canvas_widget(fig))

# %%
steps_none, steps_attn = (runs[("reverse", k)]["steps"] for k in ("none", "additive"))
extra = runs[("reverse", "additive")]["parameters"] - runs[("reverse", "none")]["parameters"]
assert 1.5 < steps_none / steps_attn < 2.5 and plain[-1]["char_acc"] > 1 / 12
display(Markdown(
    f"Without attention, exact match falls from **{plain[0]['exact']:.2f}** (lengths "
    f"{plain[0]['lengths']}) to **{plain[-1]['exact']:.2f}** ({plain[-1]['lengths']}), and "
    f"character accuracy from {plain[0]['char_acc']:.2f} to {plain[-1]['char_acc']:.2f} "
    f"(guessing scores 1/12 = 0.08). With attention: at least "
    f"**{min(r['exact'] for r in attn):.2f}** at every length. The plot shows the "
    f"benchmark's own numbers for the same models (loaded); the table above, computed here, "
    f"agrees. Both models have the same encoder, decoder and training data (attention adds "
    f"{extra} parameters); the one without attention had about twice the training steps in the "
    f"same time ({steps_none} against {steps_attn}), its steps being cheaper. A vector of "
    f"{2 * settings['hidden']} numbers must hold all of a 40-symbol string; attention reads "
    f"the symbol it needs from the encoder state at that position."))

# %% [markdown]
# **A small live run.** Two tiny models (hidden size 32) trained here for 150 steps each, on
# strings of 2 to 16 symbols over 8 letters: the same comparison in a few seconds.

# %%
live_syms = "abcdefgh"
live_vocab = CharVocab(live_syms)
live_train = symbol_pairs(4000, torch.Generator().manual_seed(0), "reverse", 2, 16, live_syms)
live_test = symbol_pairs(400, torch.Generator().manual_seed(1), "reverse", 2, 16, live_syms)


def train_live(attention, steps=150):
    torch.manual_seed(0)
    m = Seq2Seq(len(live_vocab), len(live_vocab), embed_size=16, hidden_size=32,
                attention=attention)
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    stream = batch_stream(live_train, live_vocab, live_vocab, 64,
                          torch.Generator().manual_seed(0))
    for _ in range(steps):
        b = next(stream)
        loss = sequence_loss(m(b.src, b.src_lengths, b.tgt_in)[0], b.tgt_out)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    return accuracy_by_length(evaluate(m, live_test, live_vocab, live_vocab, 18),
                              [2, 6, 10, 14, 17])


live = {kind: train_live(att) for kind, att in (("none", None), ("additive", "additive"))}
print(f"{'length':>8}{'exact, no attention':>21}{'with attention':>16}")
for a, b in zip(live["none"], live["additive"], strict=True):
    print(f"{a['lengths']:>8}{a['exact']:>21.2f}{b['exact']:>16.2f}")
assert live["none"][-1]["exact"] < live["none"][0]["exact"] - 0.5
assert live["additive"][-1]["exact"] > live["none"][-1]["exact"] + 0.5

# %% [markdown]
# **And dates?** The loaded date models score the same with and without attention:

# %%
for kind in ("none", "additive"):
    r = runs[("date", kind)]
    print(f"loaded, {kind:<9} test exact {r['test']['exact']:.3f}, test_long exact "
          f"{r['test_long']['exact']:.3f} (inputs of {r['test_long']['by_length'][0]['lengths']}"
          f" to {r['test_long']['by_length'][-1]['lengths']} characters)")
assert all(runs[("date", k)][s]["exact"] > 0.99 for k in ("none", "additive")
           for s in ("test", "test_long"))
date_bits = math.log2(36525)  # days from 1950-01-01 to 2049-12-31
display(Markdown(
    f"A date holds little information (a day in 100 years: {date_bits:.1f} bits) however it "
    f"is written, and its inputs are short; a fixed vector of {2 * settings['hidden']} numbers "
    f"holds that easily. The bottleneck bites when the output needs *every* input symbol and "
    f"the inputs grow: that is why translation of long sentences was where attention first "
    f"paid off. Where attention still helps on dates is reading: section 10 shows where the "
    f"model looks."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Teacher forcing and exposure bias
#
# In training the decoder reads the *true* previous token (teacher forcing): every step learns
# from a correct past, however wrong the model's own earlier guesses were. At test time it reads its
# *own* previous output (free-running), so one mistake feeds the next. Measured on the loaded
# reversal model without attention, accuracy at each output position:

# %%
m_none, sv, tv, meta = loaded[("reverse", "none")]
exposure = position_accuracy(m_none, make_batch(rev_test[:500], sv, tv), meta["max_len"])
tf, fr = np.array(exposure["teacher_forced"]), np.array(exposure["free_running"])
fig, ax = figure(figsize=(6.4, 2.8))
ax.plot(tf, "o-", ms=3, label="teacher-forced (reads the true previous token)")
ax.plot(fr, "s-", ms=3, label="free-running (reads its own)")
ax.set_xlabel("output position")
ax.set_ylabel("accuracy")
ax.legend(fontsize=8)
display(canvas_widget(fig))
gap = (tf[10:30] - fr[10:30]).mean()
assert tf[0] == fr[0] and gap > 0.1
assert min(runs[("reverse", "additive")]["exposure_bias"]["free_running"]) > 0.99
loaded_gap = np.mean(np.subtract(runs[("reverse", "none")]["exposure_bias"]["teacher_forced"],
                                 runs[("reverse", "none")]["exposure_bias"]["free_running"])[
                                     10:30])
display(Markdown(
    f"At position 0 both read `<bos>` and agree ({tf[0]:.2f}). Further on, the free-running "
    f"decoder is **{gap:.2f}** less accurate on average over positions 10 to 29 (the benchmark "
    f"measured {loaded_gap:.2f}, loaded): that is **exposure bias**, the cost of never having "
    f"seen its own mistakes in training. The model with attention has no gap here because it "
    f"makes almost no mistakes (loaded: "
    f"{min(runs[('reverse', 'additive')]['exposure_bias']['free_running']):.2f} at worst)."))

# %% [markdown]
# **A teacher-forcing ratio** is the knob (`Seq2Seq(...)(..., teacher_forcing=p)`): each step
# reads the true token with probability p and the model's own otherwise (scheduled sampling,
# Bengio et al. 2015, lowers p during training). Here is the loss the loaded model sees at
# three ratios on the same test batch: training at p < 1 puts it where it will be at test time.

# %%
tb = make_batch(rev_test[:200], sv, tv)
with torch.no_grad():
    ratio_loss = {p: sequence_loss(m_none(tb.src, tb.src_lengths, tb.tgt_in, teacher_forcing=p,
                                          generator=torch.Generator().manual_seed(0))[0],
                                   tb.tgt_out).item() for p in (1.0, 0.5, 0.0)}
print("test loss at teacher-forcing ratio " + ", ".join(f"{p}: {v:.2f}"
                                                        for p, v in ratio_loss.items()))
assert ratio_loss[1.0] < ratio_loss[0.5] < ratio_loss[0.0]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Additive and scaled dot-product attention
#
# Two scores, one softmax:
#
# - **additive** (Bahdanau): `e_j = v · tanh(W_q s + W_k h_j)`, a one-hidden-layer network that
#   compares the query with each key; the loaded models use it. You will write it in exercise 1.
# - **dot / scaled dot** (Luong; Vaswani et al. 2017): `e_j = q · k_j / sqrt(d)`, a single
#   matrix product for every query at once. Queries, keys and values are stacked:
#   `softmax(Q Kᵀ / sqrt(d)) V`, the Transformer's attention (lesson 09).
#
# From scratch, with a boolean mask (True where a query may look), checked against PyTorch's
# fused function: a padding mask, and a padding mask combined with a causal one.

# %%
def scaled_dot_attention(q, k, v, mask):
    """q (B, Tq, d), k (B, S, d), v (B, S, dv), mask bool (B, Tq, S) -> out, weights."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return weights @ v, weights


g64 = torch.Generator().manual_seed(4)
B, Tq, S, d = 3, 5, 5, 8
q, k, v = (torch.randn(B, n, d, generator=g64, dtype=torch.float64) for n in (Tq, S, S))
lengths = torch.tensor([5, 3, 1])
pad_mask = sequence_mask(lengths, S)[:, None, :].expand(B, Tq, S)
causal = torch.ones(Tq, S, dtype=torch.bool).tril()
for name, m in (("padding", pad_mask), ("padding and causal", pad_mask & causal)):
    out, w = scaled_dot_attention(q, k, v, m)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=m)
    sdpa_diff = (out - ref).abs().max().item()
    print(f"{name:>19} mask: vs F.scaled_dot_product_attention max |difference| = "
          f"{sdpa_diff:.1e} (float64); weight on masked positions {w[~m].abs().max():.1f}")
    assert sdpa_diff < 1e-12 and w[~m].abs().max() == 0

# %% [markdown]
# **Why divide by sqrt(d)?** For random unit-variance queries and keys, a dot product of size
# `d` has standard deviation sqrt(d): the larger `d`, the more the softmax puts all its weight
# on one position, where its gradient vanishes. Measured:

# %%
g = torch.Generator().manual_seed(5)
print(f"{'d':>5}{'score std, unscaled':>21}{'largest weight, unscaled':>26}{'scaled':>9}")
top = {}
for dim in (4, 64, 512):
    qq, kk = torch.randn(2000, dim, generator=g), torch.randn(2000, 10, dim, generator=g)
    raw = (kk @ qq[:, :, None]).squeeze(-1)
    top[dim] = [torch.softmax(raw / s, -1).max(-1).values.mean().item()
                for s in (1.0, math.sqrt(dim))]
    print(f"{dim:>5}{raw.std().item():>21.1f}{top[dim][0]:>26.2f}{top[dim][1]:>9.2f}")
assert top[512][0] > 0.9 and top[512][1] < 0.7

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. A famous bug: "attention" that never looks at the encoder
#
# A widely used tutorial computed its attention weights for years as
# `softmax(Linear([embedding of y_{i-1}; s_{i-1}]))`, over a fixed `max_length` of source
# positions. Those weights depend only on the decoder: the encoder states enter only through
# the weighted sum, so such a model still trains and still draws attention maps, but where it
# looks cannot depend on what is there. Two computations expose it: change the encoder states
# and see if the weights move; give a short input and see where the weight goes.

# %%
torch.manual_seed(2)
max_length, E_dim, H_dim = 10, 8, 16
buggy_score = nn.Linear(E_dim + H_dim, max_length).double()


def buggy_weights(y_prev_emb, s_prev, H_enc):
    return torch.softmax(buggy_score(torch.cat([y_prev_emb, s_prev], dim=-1)), dim=-1)


y_emb = torch.randn(1, E_dim, dtype=torch.float64, generator=g64)
s_prev = torch.randn(1, H_dim, dtype=torch.float64, generator=g64)
H_a = torch.randn(1, max_length, 2 * H_dim, dtype=torch.float64, generator=g64)
H_b = torch.randn(1, max_length, 2 * H_dim, dtype=torch.float64, generator=g64)
full = torch.ones(1, max_length, dtype=torch.bool)
moved_bug = (buggy_weights(y_emb, s_prev, H_a) - buggy_weights(y_emb, s_prev, H_b)).abs().max()
moved_ours = (attend(s_prev, H_a, full)[1] - attend(s_prev, H_b, full)[1]).abs().max()
past_end = buggy_weights(y_emb, s_prev, H_a)[0, 3:].sum().item()
print(f"new encoder states: the buggy weights move by {moved_bug:.1e}; real attention's by "
      f"{moved_ours:.2f}")
print(f"a 3-character input: the buggy weights put {past_end:.2f} of their mass on positions "
      f"3..{max_length - 1}, past its end")
assert moved_bug == 0 and moved_ours > 0.01 and past_end > 0.1

# %% [markdown]
# The course's library has a test (`tests/test_attention.py`) that fails if attention weights
# stop depending on the encoder states, and that checks the test itself catches this bug.
#
# ## 9. Beam search against greedy
#
# Greedy decoding writes the single most likely token at each step. **Beam search** keeps the
# `beam` most likely partial outputs instead, and can recover when the best first token leads
# nowhere. It costs `beam` times the work. On 150 reversal strings of length up to 15, with the
# loaded model without attention (the one that makes mistakes):

# %%
short = [p for p in rev_test if len(p[0]) <= 15][:150]
greedy = greedy_decode(m_none, make_batch(short, sv, tv).src,
                       make_batch(short, sv, tv).src_lengths, meta["max_len"])
beams = [beam_search(m_none, sv.encode(s), meta["max_len"], beam=4, length_penalty=0.0)[0]
         for s, _ in short]
g_exact = np.mean([tv.decode(h.tokens) == t for h, (_, t) in zip(greedy, short, strict=True)])
b_exact = np.mean([tv.decode(h.tokens) == t for h, (_, t) in zip(beams, short, strict=True)])
g_lp = np.array([h.logprob for h in greedy])
b_lp = np.array([h.logprob for h in beams])
better = int((b_lp > g_lp + 1e-9).sum())
print(f"greedy exact {g_exact:.3f}, beam 4 exact {b_exact:.3f}; beam found a more probable "
      f"output for {better} of {len(short)}; mean log-probability {g_lp.mean():.2f} -> "
      f"{b_lp.mean():.2f}")
assert b_lp.mean() >= g_lp.mean() and b_exact >= g_exact and b_exact < 0.9
bvg = runs[("reverse", "none")]["beam_vs_greedy"]
display(Markdown(
    f"Beam search finds outputs the *model* prefers; whether they are right depends on the "
    f"model. The benchmark (loaded, {bvg['n']} test strings of all lengths) measured greedy "
    f"{bvg['greedy']['exact']:.3f} against beam {bvg['beam']} {bvg['beam_penalty_0']['exact']:.3f}"
    f" exact match; here, on short strings, {g_exact:.3f} against {b_exact:.3f}. A model that "
    f"is right (the attention models score 1.000 greedily) leaves beam search nothing to find; a model that has not stored the input "
    f"cannot be rescued by searching its outputs."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Where the decoder looks
#
# The loaded date model with attention. Pick an example or type your own date; move the output
# step to see which input characters that step read (the red box in the map, the weights below).
# A typed input it cannot read (empty, too long, a character it never saw) gets a one-line
# message; anything else gets its best guess and how sure it is.

# %%
m_date, dsv, dtv, dmeta = loaded[("date", "additive")]


def reply(text):
    return answer(m_date, text, dsv, dtv, dmeta["max_input"], dmeta["max_len"],
                  check=iso_date_problem, example="26 nov. 2026")


examples = {"weekday day month year": "Thursday 26 November 2026",
            "mm/dd/yy": "11/26/26", "day mon. year": "26 nov. 2026",
            "the dayth of month year": "the 3rd of March 1999",
            "dd.mm.yyyy": "05.06.2026", "mm/dd/yyyy": "05/06/2026"}
AttentionExplorer(reply, examples, dmeta["max_input"], dmeta["max_len"])

# %% [markdown]
# What it says to inputs unlike its training data (the same function the widget calls):

# %%
for text in ["", "26 novembre 2026 à 10h", "x" * 45, "hello world", "31 February 2026",
             "26th nov 2026"]:
    print(f"{text[:30]!r:>34}: {reply(text).message}")

# %%
first_step = {}
for label, text in [("mm/dd/yy", "11/26/26"), ("weekday day month year",
                                               "Thursday 26 November 2026")]:
    w = reply(text).weights
    first_step[label] = (text, int(w[0].argmax()))
    year_start = max(text.rfind(" "), text.rfind("/")) + 1  # the year comes last in both
    assert first_step[label][1] >= year_start  # what the text below says
display(Markdown(
    "Writing the first digit of the year, the model looks hardest at "
    + "; ".join(f"`{t[j]}` (position {j}) in `{t}`" for t, j in first_step.values())
    + ": inside the year both times, wherever the format puts it."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 11. Pitfalls
#
# - *"The model works: look at these examples."* A tutorial that shows four hand-picked
#   outputs shows nothing. The four shortest test strings, decoded by the reversal model without
#   attention, against the whole test set:

# %%
m, sv, tv, meta = loaded[("reverse", "none")]
records = evaluate(m, rev_test, sv, tv, meta["max_len"])
shortest = sorted(records, key=lambda r: len(r["src"]))[:4]
for r in shortest:
    print(f"{r['src']!r:>10} -> {r['pred']!r:<10} {'right' if r['exact'] else 'wrong'}")
overall = np.mean([r["exact"] for r in records])
print(f"four hand-picked: {np.mean([r['exact'] for r in shortest]):.2f}; all {len(records)} "
      f"held-out strings: {overall:.3f}")
assert all(r["exact"] for r in shortest) and overall < 0.3

# %% [markdown]
# - *"Padding does not matter, the model learns to ignore it."* Without the mask, attention
#   gives padded positions weight, and a sequence's output depends on what else is in its
#   batch. Our `attend` with and without the mask, on the first date of section 3's batch:

# %%
H_enc, summary = encode(batch.src, batch.src_lengths)
s0 = torch.tanh(dec.bridge(summary))
with_mask = attend(s0, H_enc, mask)[0]
no_mask = attend(s0, H_enc, torch.ones_like(mask))[0]
H_alone, sum_alone = encode(batch.src[:1, :int(batch.src_lengths[0])], batch.src_lengths[:1])
alone_ctx = attend(torch.tanh(dec.bridge(sum_alone)), H_alone,
                   torch.ones(1, H_alone.shape[1], dtype=torch.bool))[0]
row = int(batch.src_lengths.argmin())
print(f"context of the shortest source (row {row}, {int(batch.src_lengths[row])} of "
      f"{batch.src.shape[1]} positions): masked vs unmasked differ by "
      f"{(with_mask[row] - no_mask[row]).abs().max().item():.2f}")
print(f"first source alone vs in the masked batch: {(alone_ctx[0] - with_mask[0]).abs().max():.1e}")
assert (with_mask[row] - no_mask[row]).abs().max() > 1e-3
assert (alone_ctx[0] - with_mask[0]).abs().max() < 1e-10

# %% [markdown]
# - *"Attention weights are an explanation."* They say where the decoder read, not why it
#   answered; section 8's bug draws maps from weights that never saw the input.
# - *"Teacher forcing measures the model."* Teacher-forced accuracy is what training sees;
#   report free-running (greedy or beam) accuracy on held-out data, as in sections 5 and 6.
#
# ## 12. Quiz

# %%
quiz.show("bottleneck")

# %%
quiz.show("bos-eos")

# %%
quiz.show("exposure-bias")

# %%
quiz.show("mask-padding")

# %%
quiz.show("scale-sqrt-d")

# %%
quiz.show("tutorial-bug")

# %%
quiz.show("beam-greedy")

# %%
quiz.score()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 13. Exercises
#
# ### Exercise 1: Bahdanau's additive scores
# Write `additive_scores(s_prev, H_enc, W_q, W_k, v)` returning `e_j = v · tanh(W_q s_prev +
# W_k h_j)` for every source position: `s_prev` `(B, Q)`, `H_enc` `(B, S, K)`, `W_q` `(A, Q)`,
# `W_k` `(A, K)`, `v` `(A,)`; the result is `(B, S)`. One broadcast does it: the query's term
# is the same for every j.

# %% slideshow={"slide_type": "skip"}
def additive_scores(s_prev, H_enc, W_q, W_k, v):
    ### BEGIN SOLUTION
    query_term = (s_prev @ W_q.T)[:, None, :]     # (B, 1, A): the same for every position
    key_term = H_enc @ W_k.T                      # (B, S, A)
    return torch.tanh(query_term + key_term) @ v
    ### END SOLUTION


# %%
check("l08.additive_scores", additive_scores)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: a softmax that ignores padding, from the lengths
# Write `padded_softmax(scores, lengths)`: `scores` `(B, S)`, `lengths` `(B,)` with each
# length in `1..S`; return weights `(B, S)` whose rows sum to 1 over the first `lengths[b]`
# positions and are **exactly** 0 after them, whatever the scores there (try a padded score of
# `1e9`).

# %% slideshow={"slide_type": "skip"}
def padded_softmax(scores, lengths):
    ### BEGIN SOLUTION
    real = torch.arange(scores.shape[1])[None, :] < lengths[:, None]   # (B, S)
    return torch.softmax(scores.masked_fill(~real, float("-inf")), dim=-1)
    ### END SOLUTION


# %%
check("l08.padded_softmax", padded_softmax)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 14. Summary
#
# - An encoder-decoder reads the source into states `h_j` and writes the target a token at a
#   time from `<bos>` to `<eos>`; padding is kept out of the encoder by packing, out of
#   attention by a mask (weight exactly 0) and out of the loss by `ignore_index` (loss exactly
#   0). Ours matched the library model to rounding error, and its scaled dot-product attention
#   matched `F.scaled_dot_product_attention`, masks included.
# - Without attention the decoder sees one fixed vector, and on reversal its accuracy falls
#   with length; with attention it reads the state it needs at each step (table below).
# - Teacher forcing trains on a correct past; free-running decoding must live with its own
#   mistakes (exposure bias, measured). Beam search finds outputs the model prefers, which helps
#   only as far as the model is right.
# - Attention weights must be computed *from the encoder states*; a test keeps it so.

# %%
rows = zip(runs[("reverse", "none")]["test"]["by_length"],
           runs[("reverse", "additive")]["test"]["by_length"], strict=True)
display(Markdown(
    f"**Reversal, exact match by source length** (loaded: `benchmarks/seq2seq.py`, "
    f"{bench['date']}, seed {settings['seed']}, greedy decoding, same model size; computed "
    f"again in section 5):\n\n| length | n | no attention | additive attention |\n"
    "| --- | --- | --- | --- |\n"
    + "\n".join(f"| {a['lengths']} | {a['n']} | {a['exact']:.2f} | {b['exact']:.2f} |"
                for a, b in rows)))

# %%
display(Markdown(next_lesson(8, "puts attention alone against recurrence, and measures both")))
