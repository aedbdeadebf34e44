# %% [markdown]
# # 09 · Transformers against recurrent networks, measured
#
# **You will be able to**
# - build scaled dot-product attention, causal multi-head self-attention, positional encodings
#   and a pre-norm Transformer block, and prove each equal to PyTorch's; generate with a
#   key-value cache and prove it equal to re-reading the whole prefix;
# - compare a Transformer with an LSTM, a GRU and a minGRU on lesson 07's text at the same
#   parameter count and the same compute budget, and read what each costs as sequences grow:
#   training speed, memory, time per generated token, what must be kept while streaming;
# - say, from measurements, where each kind wins: length generalisation (parity), a lookup
#   across a long gap (copying, and looking up a named position), and whether a recurrent network can be trained in parallel
#   (minGRU's scan).
#
# **Prerequisites:** lessons 05-06 (LSTM, GRU, minGRU in exercise), 07 (the text and its
# baselines) and 08 (scaled dot-product attention and masks).
# **Run time:** about 15 seconds on a laptop CPU. Long runs are loaded from
# `benchmarks/results/` (three scripts, named where they are used).

# %% [markdown]
# ## 1. The idea: carry a state, or look everything up
#
# An RNN reads one token after another and keeps **one state** of fixed size: everything it
# will ever know about the past must be squeezed into `h_t`. A Transformer keeps **every
# position** and, at each one, *looks up* what it needs from all earlier positions with
# attention (lesson 08's scaled dot product):
#
# ```
#   RNN:          x_1 ─▶ h_1 ─▶ h_2 ─▶ h_3 ─▶ ... ─▶ h_T        one state, T steps in order
#                         ▲      ▲      ▲             ▲
#                        x_1    x_2    x_3           x_T
#
#   Transformer:  y_t = Σ_{s≤t} softmax_s(q_t · k_s / √d) v_s    every earlier position, at once
#                 y_3 reads x_1, x_2, x_3; y_T reads x_1 … x_T
# ```
#
# Both sides pay for their choice. The RNN's step `t` needs step `t − 1`, so training walks
# along the sequence; its memory while generating stays the same at token 10 or 10,000. The
# Transformer computes every position of a training sequence at once, but position `t` reads
# `t` earlier ones: its work grows with `T²` and, while generating, it must keep the keys and
# values of every token so far (the **KV cache**). Which matters more depends on the sequence
# length, the hardware and the task: this lesson measures it.
#
# Notation: `T` sequence length, `t` a position, `d` = `d_model` the width, `h` heads with
# `d_head = d / h` each; `B` batch. The rest is the start page's table.

# %%
# %matplotlib widget
import json
import math
import time

import numpy as np
import torch
from IPython.display import Markdown, display
from torch import nn
from torch.nn import functional as F

from rnnlab import charlm
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.compare import (
    bits_per_char,
    build_lm,
    count_params,
    task_accuracy,
    train_for,
    width_for_params,
)
from rnnlab.compare_explorers import CostExplorer, load_cost_records
from rnnlab.corpus import OpenVocab, pydoc_split
from rnnlab.course import next_lesson
from rnnlab.mingru import min_gru_scan, scan_doubling
from rnnlab.quiz import Quiz
from rnnlab.tasks import copy_batch, lookup_batch, parity_batch
from rnnlab.train import seed_everything
from rnnlab.transformer import (
    LearnedPositions,
    PreNormBlock,
    TransformerLM,
    causal_mask,
    kv_cache_numbers,
    sinusoidal_positions,
)
from rnnlab.widgets import canvas_widget, figure

quiz = Quiz("l09")
gen = seed_everything(0)  # also one CPU thread: faster for models this small
RESULTS = charlm.results_dir()


def loaded(name):
    return json.loads((RESULTS / name).read_text(encoding="utf-8"))


# %% [markdown]
# ## 2. Scaled dot-product attention with a causal mask
#
# Each position `t` has a query `q_t`, a key `k_t` and a value `v_t` (rows of `Q`, `K`, `V`).
# Position `t`'s output is an average of values, weighted by how well its query matches each
# key: `softmax(Q Kᵀ / √d_head) V`. A **language model** must not read the future, so position
# `t` may only look at keys `s ≤ t`: the **causal mask** sets the other scores to −∞, and
# `exp(−∞) = 0`. Written out, and checked against PyTorch's fused function in float64:

# %%
def attention(Q, K, V, allowed):
    """Q (..., T, d_head), K and V (..., S, d_head), allowed bool (T, S): True = may read."""
    scores = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])        # (..., T, S)
    weights = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-1)
    return weights @ V, weights


T_demo = 6
allowed = torch.ones(T_demo, T_demo, dtype=torch.bool).tril()        # s <= t
g64 = torch.Generator().manual_seed(1)
Q, K, V = (torch.randn(2, 3, T_demo, 8, generator=g64, dtype=torch.float64) for _ in range(3))
ours, w = attention(Q, K, V, allowed)
theirs = F.scaled_dot_product_attention(Q, K, V, is_causal=True)
attn_diff = (ours - theirs).abs().max().item()
print(f"attention vs F.scaled_dot_product_attention(is_causal=True): max |difference| "
      f"{attn_diff:.1e} (float64); weight on future positions: {w[..., ~allowed].abs().max():.1f}")
assert attn_diff < 1e-12 and w[..., ~allowed].abs().max() == 0
assert torch.equal(allowed, causal_mask(T_demo))   # the library's mask, used from here on

# %% [markdown]
# ## 3. Several heads, and PyTorch's opposite mask convention
#
# **Multi-head** attention runs `h` attentions side by side, each on its own `d_head = d / h`
# columns of `Q = x W_qᵀ`, `K = x W_kᵀ`, `V = x W_vᵀ`, then mixes the heads' outputs with
# `W_o`. Different heads can look at different things (one at the previous token, one at the
# last bracket). The weights below are copied out of an `nn.MultiheadAttention`, which stores
# `W_q`, `W_k`, `W_v` stacked in `in_proj_weight` `(3d, d)`.

# %%
d, h = 16, 4
torch.manual_seed(0)
mha = nn.MultiheadAttention(d, h, batch_first=True).double().eval()
W_q, W_k, W_v = mha.in_proj_weight.detach().chunk(3)
b_q, b_k, b_v = mha.in_proj_bias.detach().chunk(3)
W_o, b_o = mha.out_proj.weight.detach(), mha.out_proj.bias.detach()


def split_heads(t):                       # (B, T, d) -> (B, h, T, d_head)
    B, T, _ = t.shape
    return t.view(B, T, h, d // h).transpose(1, 2)


def self_attention(x):
    """Causal multi-head self-attention: x (B, T, d) -> (B, T, d)."""
    Q, K, V = (split_heads(x @ W.T + b) for W, b in ((W_q, b_q), (W_k, b_k), (W_v, b_v)))
    out, _ = attention(Q, K, V, causal_mask(x.shape[1]))
    out = out.transpose(1, 2).reshape(x.shape)           # the heads side by side again
    return out @ W_o.T + b_o


x = torch.randn(3, 7, d, generator=g64, dtype=torch.float64)
ref, _ = mha(x, x, x, attn_mask=~causal_mask(7), need_weights=False)
wrong, _ = mha(x, x, x, attn_mask=causal_mask(7), need_weights=False)
mha_diff = (self_attention(x) - ref).abs().max().item()
print(f"multi-head self-attention vs nn.MultiheadAttention: max |difference| {mha_diff:.1e}")
inverted_diff = (self_attention(x) - wrong).nan_to_num(nan=math.inf).abs().max().item()
print(f"handing nn.MultiheadAttention our mask (True = may read) unchanged instead: "
      f"differs by {inverted_diff:.2f}")
assert mha_diff < 1e-12 and inverted_diff > 0.1

# %% [markdown]
# The pitfall in the second line: `nn.MultiheadAttention` and `nn.TransformerEncoderLayer` read a
# boolean `attn_mask` the other way round (**True = not allowed**), while
# `F.scaled_dot_product_attention` reads it as ours (True = allowed). Handed ours unchanged, every
# position reads only the positions *after* it, the last one nothing at all, and no error is
# raised. Pass `~causal_mask(T)` to the first two. Exercise 1 asks you for the mask when the first keys come from a cache.
#
# ## 4. Positions: attention has no order of its own
#
# Shuffle the tokens given to self-attention without a mask and its outputs come out shuffled
# the same way, nothing else changes: attention treats its keys as a *set*. An RNN reading the
# shuffled sequence computes something else entirely. Order must be added to the Transformer's
# input; an RNN gets it for free by reading in order.

# %%
perm = torch.randperm(7, generator=torch.Generator().manual_seed(2))
plain, _ = mha(x, x, x, need_weights=False)                   # no mask: every position to all
shuffled, _ = mha(x[:, perm], x[:, perm], x[:, perm], need_weights=False)
equivariance = (shuffled - plain[:, perm]).abs().max().item()
lstm_check = nn.LSTM(d, d, batch_first=True).double()
rnn_plain, rnn_shuffled = lstm_check(x)[0], lstm_check(x[:, perm])[0]
rnn_moved = (rnn_shuffled - rnn_plain[:, perm]).abs().max().item()
print(f"attention, shuffled input vs shuffled output: {equivariance:.1e}; "
      f"an LSTM: {rnn_moved:.2f}")
assert equivariance < 1e-12 and rnn_moved > 0.01

# %% [markdown]
# Two ways to add order (Vaswani et al. 2017):
#
# - **sinusoidal**: `P[pos, 2i] = sin(pos / 10000^(2i/d))`, `P[pos, 2i+1] = cos(…)`, a fixed
#   pattern per position, defined for any position;
# - **learned**: one trained vector per position up to a `max_len`; beyond it there is nothing.

# %%
def sinusoidal(n, width):
    pos = torch.arange(n, dtype=torch.float64)[:, None]
    rate = 10000.0 ** (-torch.arange(0, width, 2, dtype=torch.float64) / width)
    P = torch.zeros(n, width, dtype=torch.float64)
    P[:, 0::2], P[:, 1::2] = torch.sin(pos * rate), torch.cos(pos * rate)
    return P


pos_diff = (sinusoidal(50, d) - sinusoidal_positions(50, d, dtype=torch.float64)).abs().max()
learned = LearnedPositions(max_len=40, d_model=d)
try:
    learned(41)
    beyond = "no error"
except ValueError as err:
    beyond = str(err).split(";")[0]
print(f"sinusoidal positions vs rnnlab: {pos_diff:.1e}; learned positions at 41 tokens: "
      f"{beyond}")
assert pos_diff < 1e-12 and beyond.startswith("position 40 is beyond")

# %% [markdown]
# ## 5. The pre-norm block
#
# A Transformer layer is attention then a two-layer MLP, each added back to its input (a
# **residual**), each reading a layer-normalised copy of it (**pre-norm**, Xiong et al. 2020:
# the residual path carries `x` unchanged, which trains without a warm-up):
#
# `x ← x + MHA(LN₁(x))`, then `x ← x + W₂ relu(W₁ LN₂(x) + b₁) + b₂`.
#
# Ours, with the weights of `nn.TransformerEncoderLayer(norm_first=True)`:

# %%
torch.manual_seed(0)
layer = nn.TransformerEncoderLayer(d, h, dim_feedforward=4 * d, dropout=0.0, batch_first=True,
                                   norm_first=True).double().eval()
mha = layer.self_attn                     # our self_attention reads these weights
W_q, W_k, W_v = mha.in_proj_weight.detach().chunk(3)
b_q, b_k, b_v = mha.in_proj_bias.detach().chunk(3)
W_o, b_o = mha.out_proj.weight.detach(), mha.out_proj.bias.detach()


def layer_norm(x, norm):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)             # biased, as nn.LayerNorm
    return (x - mean) / torch.sqrt(var + norm.eps) * norm.weight + norm.bias


def block(x):
    x = x + self_attention(layer_norm(x, layer.norm1))
    u = torch.relu(layer_norm(x, layer.norm2) @ layer.linear1.weight.T + layer.linear1.bias)
    return x + u @ layer.linear2.weight.T + layer.linear2.bias


with torch.no_grad():
    ref = layer(x, src_mask=~causal_mask(7))
    ours = block(x)
    lib = PreNormBlock(d, h).double()
    lib.load_state_dict(layer.state_dict())
    lib_out, _ = lib(x)
block_diff = (ours - ref).abs().max().item()
lib_diff = (lib_out - ref).abs().max().item()
print(f"pre-norm block vs nn.TransformerEncoderLayer(norm_first=True): {block_diff:.1e}; "
      f"rnnlab's PreNormBlock: {lib_diff:.1e}")
assert block_diff < 1e-12 and lib_diff < 1e-12

# %% [markdown]
# ## 6. A causal language model, and its key-value cache
#
# `rnnlab.transformer.TransformerLM` stacks these blocks: embed, add positions, blocks, a last
# layer norm, a linear head. It keeps the course's contract `model(ids, state) -> (logits,
# state)`, so lesson 07's sampling works unchanged. Two checks. **Causality**: changing a token
# must not change any earlier position's prediction. **The cache**: when generating, token
# `t`'s keys and values never change once computed (position `t` only reads earlier ones), so
# they can be kept and only the new token computed. Reading 60 tokens one at a time with the
# cache must give the same next-token distribution, at every step, as re-reading the whole
# prefix each time.

# %%
torch.manual_seed(0)
lm = TransformerLM(vocab_size=30, d_model=32, n_heads=4, n_layers=2).double().eval()
ids = torch.randint(0, 30, (2, 60), generator=g64)
changed = ids.clone()
changed[:, 40] = (changed[:, 40] + 1) % 30
with torch.no_grad():
    full, _ = lm(ids)
    moved = (lm(changed)[0] - full).abs().amax(dim=(0, 2))
    cache, worst = None, 0.0
    for t in range(ids.shape[1]):
        step_logits, cache = lm(ids[:, t:t + 1], cache)           # one new token
        again, _ = lm(ids[:, :t + 1])                             # the whole prefix again
        p_cache, p_again = (torch.softmax(z[:, -1], -1) for z in (step_logits, again))
        worst = max(worst, (p_cache - p_again).abs().max().item())
print(f"changing token 40 moves positions 0-39 by {moved[:40].max():.1e}, position 40 by "
      f"{moved[40]:.2f}")
print(f"KV cache vs re-encoding, 60 steps: next-token probabilities differ by at most "
      f"{worst:.1e}; the cache holds {cache.numel()} numbers = 2 x layers x d x t x batch = "
      f"{kv_cache_numbers(2, 32, 60, batch=2)}")
assert moved[:40].max() == 0 and moved[40] > 1e-3 and worst < 1e-12
assert cache.numel() == kv_cache_numbers(2, 32, 60, batch=2)

# %% [markdown]
# ## 7. Quality at the same size and the same budget
#
# The same text as lesson 07 (Python's help pages, split by document), each model sized to the
# same number of parameters as the Transformer (`rnnlab.compare.width_for_params`), trained on
# random windows for the same **CPU time** (`time.process_time` of one thread: on a shared
# machine, other programs then do not shrink one model's budget more than another's), scored
# in bits per character on held-out text. First a short live run: an LSTM and a Transformer,
# small, 1.5 CPU seconds each:

# %%
split = pydoc_split(0)
vocab = OpenVocab(split.train)
train_ids, valid_ids = vocab.encode(split.train), vocab.encode(split.valid)
valid_live = valid_ids[:4000]
target = count_params(build_lm("transformer", len(vocab), 32, 2))
live = {}
for kind, lr in (("lstm", 3e-3), ("transformer", 1e-3)):
    width = 32 if kind == "transformer" else width_for_params(kind, len(vocab), target)
    seed_everything(0)
    model = build_lm(kind, len(vocab), width)
    hist = train_for(model, train_ids, seconds=1.5, batch=16, seq_len=64, lr=lr,
                     eval_fn=lambda m: bits_per_char(m, valid_live, 64, 8), eval_every=1.0,
                     gen=torch.Generator().manual_seed(0), clock=time.process_time)
    live[kind] = {"params": count_params(model), "steps": hist["step"][-1], "curve": hist}
    print(f"{kind:12s} {count_params(model):6d} parameters, {hist['step'][-1]:4d} steps in "
          f"{hist['seconds'][-1]:.1f} CPU s: validation {hist['eval'][0]:.2f} -> "
          f"{hist['eval'][-1]:.2f} bits per character")
    assert hist["eval"][-1] < hist["eval"][0]

# %% [markdown]
# So short a run says little: the curves cross and re-cross early.
# `benchmarks/transformer_vs_rnn.py` ran the same comparison for longer, with larger models
# (loaded here).

# %%
qrun = loaded("transformer_vs_rnn.json")
base = qrun["baselines_bpc"]
qs = qrun["settings"]
NAMES = {"lstm": "LSTM", "gru": "GRU", "transformer": "Transformer", "mingru": "minGRU"}
print(f"loaded: benchmarks/transformer_vs_rnn.py, {qrun['date']}, seed {qs['seed']}, "
      f"{qrun['threads']} thread(s), {qrun['device']}, budget {qs['seconds']:.0f} "
      f"{qs['clock']} seconds per model, load average {qrun['load_average_start'][0]:.1f} at the "
      f"start and {qrun['load_average_end'][0]:.1f} at the end ({qrun['cpu_count']} cores)")
print(f"{'model':12s}{'width':>6}{'params':>9}{'steps':>7}{'chars seen':>12}{'test bpc':>10}"
      f"{'state carried':>15}")
for kind, r in qrun["runs"].items():
    carried = f"{r['test_bpc_carried_state']:.3f}" if r["test_bpc_carried_state"] else "-"
    print(f"{NAMES[kind]:12s}{r['width']:>6}{r['params']:>9}{r['steps']:>7}"
          f"{r['characters_seen']:>12,}{r['test_bpc']:>10.3f}{carried:>15}")
for name in ("unigram (add-one)", "bigram (add-one)", "Kneser-Ney, order 6"):
    print(f"{name:33s}{base[name]:>19.3f}")
best_kind = min(qrun["runs"], key=lambda k: qrun["runs"][k]["test_bpc"])
best = qrun["runs"][best_kind]["test_bpc"]
assert all(r["test_bpc"] < base["unigram (add-one)"] for r in qrun["runs"].values())

# %%
fig, ax = figure(figsize=(6.4, 3.2))
for kind, r in qrun["runs"].items():
    ax.plot(r["curve"]["seconds"], r["curve"]["eval"], "o-", ms=3, label=NAMES[kind])
ax.axhline(base["Kneser-Ney, order 6"], color="grey", ls="--", lw=1, label="Kneser-Ney, order 6")
ax.set_xlabel(f"training time ({qs['clock']} seconds, loaded)")
ax.set_ylabel("validation bits per character")
ax.set_ylim(max(0.0, best - 0.5), base["bigram (add-one)"] + 0.3)
ax.legend(fontsize=8)
display(canvas_widget(fig))

# %%
tf, ls = qrun["runs"]["transformer"], qrun["runs"]["lstm"]
steps_ratio = ls["steps"] / tf["steps"]
assert steps_ratio > 1                       # the LSTM takes more steps in the same CPU time
ranked = sorted(qrun["runs"], key=lambda k: qrun["runs"][k]["test_bpc"])
kn6 = base["Kneser-Ney, order 6"]
display(Markdown(
    f"At {qrun['target_params']:,} parameters and {qs['seconds']:.0f} CPU seconds each, from "
    "best to worst on held-out text: "
    + ", ".join(f"{NAMES[k]} {qrun['runs'][k]['test_bpc']:.3f}" for k in ranked)
    + f" bits per character. In the same time the LSTM took {steps_ratio:.1f} times as many "
    f"steps as the Transformer: on one CPU thread, at windows of {qs['seq_len']}, a fused "
    f"LSTM is cheap per character. Kneser-Ney (order 6, lesson 07) scores {kn6:.3f}: at this "
    + ("budget no network beats it." if best > kn6 else f"budget the {NAMES[best_kind]} "
       "beats it.")
    + " This is a small budget on a busy CPU; section 16 says what changes at scale."))

# %% [markdown]
# ## 8. What each costs as sequences grow
#
# `benchmarks/sequence_cost.py` timed every model (width as below, batch 16, one thread, best of
# several runs) on training sequences of length `T` and on generating token `t + 1` after `t`.
# **Training speed** is characters per second, forward and backward. **Training memory** is what
# autograd keeps for the backward pass. **Generation time** is the time for one new token: the
# RNNs take one step from their state; the Transformer with a cache reads `t` cached keys; the
# one without re-reads the whole prefix. **Generation state** is what must be kept between
# tokens. Pick a model size, a measure and a range of lengths; the crosses mark where a
# Transformer curve crosses a recurrent one inside that range.

# %%
records = load_cost_records(RESULTS)
CostExplorer(records, width=128 if 128 in records else None)

# %%
cost = records[128] if 128 in records else next(iter(records.values()))
found = cost["crossings"]


def crossing_text(key, symbol="T"):
    where = found[key]
    if not where:
        return "none in the measured range"
    return ", ".join(f"{symbol} ≈ {c['x']:.0f}" for c in where)


def curve_of(section, name, value, key="T"):
    rows = sorted((r[key], r[value]) for r in cost[section]["rows"] if r["model"] == name)
    return np.array([r[0] for r in rows]), np.array([r[1] for r in rows], dtype=float)


Ts, tf_speed = curve_of("train", "transformer", "chars_per_s")
_, lstm_speed = curve_of("train", "lstm", "chars_per_s")
ts, cache_ms = curve_of("generate", "transformer_cache", "seconds_per_token", "t")
_, lstm_ms = curve_of("generate", "lstm", "seconds_per_token", "t")
_, nocache_ms = curve_of("generate", "transformer_no_cache", "seconds_per_token", "t")
_, cache_bytes = curve_of("generate", "transformer_cache", "state_bytes", "t")
_, lstm_bytes = curve_of("generate", "lstm", "state_bytes", "t")
print(f"loaded: benchmarks/sequence_cost.py, {cost['date']}, width {cost['settings']['width']}, "
      f"{cost['threads']} thread(s), {cost['device']}, best of {cost['settings']['repeats']}, "
      f"load average {cost['load_average_start'][0]:.1f} -> {cost['load_average_end'][0]:.1f}")
for key in found:
    print(f"  {key:48s} {crossing_text(key, 't' if key.startswith('generate') else 'T')}")
# what does not depend on the machine's load: the state each keeps
assert len(set(lstm_bytes)) == 1 and np.all(np.diff(cache_bytes) > 0)
assert cache_bytes[-1] == 4 * kv_cache_numbers(cost["settings"]["layers"],
                                               cost["settings"]["width"], ts[-1])
assert nocache_ms[-1] > cache_ms[-1]
slowdown_tf = tf_speed[0] / tf_speed[-1]
slowdown_lstm = lstm_speed[0] / lstm_speed[-1]
assert slowdown_tf > slowdown_lstm

# %%
tf_cheaper = {k: [c for c in found[f"train_time_transformer_vs_{k}"] if c["below_before"] == "a"]
              for k in ("lstm", "gru", "mingru")}
lstm_step_faster = bool(np.all(lstm_ms < cache_ms))
assert tf_speed[-1] < tf_speed[0]            # attention's work per character grows with T
assert np.all(cache_bytes > lstm_bytes)      # from the first t measured
display(Markdown(
    f"From T = {Ts[0]} to T = {Ts[-1]} the Transformer's training speed went from "
    f"{tf_speed[0]:,.0f} to {tf_speed[-1]:,.0f} characters per second, the LSTM's from "
    f"{lstm_speed[0]:,.0f} to {lstm_speed[-1]:,.0f}: attention's work per character grows with "
    "T" + (", while the fused LSTM gets more efficient on longer sequences. "
           if lstm_speed[-1] > lstm_speed[0] else ". ")
    + " ".join(f"The Transformer trains faster than the {NAMES[k]} up to T ≈ "
               f"{tf_cheaper[k][0]['x']:.0f}." for k in ("lstm", "gru", "mingru")
               if tf_cheaper[k])
    + " ".join(f" The {NAMES[k]} trains faster at every T measured."
               for k in ("lstm", "gru", "mingru")
               if not found[f"train_time_transformer_vs_{k}"]
               and curve_of("train", k, "chars_per_s")[1][0] > tf_speed[0])
    + f" Generating token {ts[-1]:,}, the cached Transformer took {1e3 * cache_ms[-1]:.2f} ms "
    f"against {1e3 * nocache_ms[-1]:.1f} ms re-reading the prefix and "
    f"{1e3 * lstm_ms[-1]:.2f} ms for the LSTM's step"
    + (" (the LSTM's step was the faster at every t measured)" if lstm_step_faster else "")
    + f"; it keeps {cache_bytes[-1] / 2**20:.1f} MiB of keys and values where the LSTM keeps "
    f"{lstm_bytes[-1] / 2**10:.0f} KiB at every t, and the cache was the larger from the "
    f"first t measured ({ts[0]}). Times on a shared machine are noisy (CPU seconds of one "
    "process, the load average printed above); the sizes are exact."))

# %% [markdown]
# The state sizes need no benchmark: an LSTM keeps `h` and `c` for every layer, whatever `t`;
# a Transformer's cache holds a key and a value of `d` numbers per token per layer. Computed
# here for the lesson 07-sized models, in float32. An LSTM keeps two vectors of `d` per layer
# (`h`, `c`), a cache two per layer *per token* (a key, a value): after `t` tokens the cache is
# exactly `t` times the LSTM's state.

# %%
for t in (100, 10_000):
    lstm_state = 2 * 2 * 256 * 4                        # (h, c) x 2 layers x 256 units x 4 B
    cache_state = 4 * kv_cache_numbers(n_layers=2, d_model=256, length=t)
    print(f"after {t:6,} tokens: LSTM {lstm_state / 1024:.0f} KiB, KV cache "
          f"{cache_state / 1024:,.0f} KiB")
assert 4 * kv_cache_numbers(2, 256, 10_000) == 10_000 * lstm_state

# %% [markdown]
# ## 9. Length generalisation: parity
#
# Deletang et al. (ICLR 2023, "Neural networks and the Chomsky hierarchy") trained networks on
# formal languages at lengths up to 40 and tested them on longer strings. **Parity** (is the
# number of 1s odd?) is a regular language: a two-state machine decides it at any length, and
# an RNN can *be* that machine. They found LSTMs generalise on such tasks and Transformers do
# not. `benchmarks/synthetic_tasks.py` repeats it: bit strings of length 1-40 in training,
# every model about the same size and the same number of steps, tested on fresh strings up to
# length 300. The trained weights are loaded and tested again here.

# %%
syn = loaded("synthetic_tasks.json")
syn_models = torch.load(RESULTS / "synthetic_tasks_models.pt", weights_only=True)
ss = syn["settings"]


def load_task_model(task, kind):
    entry = syn_models[task][kind]
    opts = {"max_len": entry["max_len"]} if kind == "transformer" else {}
    model = build_lm(kind, entry["vocab"], entry["width"], 2, **opts)
    model.load_state_dict(entry["state_dict"])
    return model.eval()


print(f"loaded: benchmarks/synthetic_tasks.py, {syn['date']}, seed {ss['seed']}, "
      f"{ss['steps']} steps of {ss['batch']}, about {ss['params']:,} parameters each; load "
      f"average {syn['load_average_start'][0]:.1f}")
par = syn["results"]["parity"]
lengths = list(next(iter(par.values()))["accuracy"])
print(f"{'parity':12s}" + "".join(f"{n:>7}" for n in lengths))
for kind, r in par.items():
    print(f"{NAMES[kind]:12s}" + "".join(f"{r['accuracy'][n]:>7.2f}" for n in lengths))
check_len = {}
for kind in par:
    model = load_task_model("parity", kind)
    check_len[kind] = {n: task_accuracy(model, parity_batch, n, n=400,
                                        gen=torch.Generator().manual_seed(7))
                       for n in (40, 300)}
print("tested here, 400 fresh strings: " + "; ".join(
    f"{NAMES[k]} {v[40]:.2f} at 40, {v[300]:.2f} at 300" for k, v in check_len.items()))
assert check_len["lstm"][300] > 0.95 and abs(check_len["transformer"][300] - 0.5) < 0.1
assert abs(check_len["mingru"][40] - 0.5) < 0.1

# %%
in_range = {k: r["accuracy"]["40"] for k, r in par.items()}
far = {k: r["accuracy"][lengths[-1]] for k, r in par.items()}
generalise = [NAMES[k] for k in par if far[k] > 0.95]
display(Markdown(
    f"Trained on lengths 1-40 and tested at {lengths[-1]}: "
    + ", ".join(f"{NAMES[k]} {far[k]:.2f}" for k in par)
    + f" (chance 0.50). {', '.join(generalise) or 'None'} "
    + ("generalises" if len(generalise) == 1 else "generalise")
    + " to every length tested. The Transformer scores "
    + f"{in_range['transformer']:.2f} already at length 40, inside its training range: in "
    "this budget it did not learn parity at all, a known difficulty (Hahn 2020, \"Theoretical "
    "limitations of self-attention\", shows a fixed Transformer's output becomes insensitive "
    "to single bits as the input grows). The minGRU scores "
    + f"{in_range['mingru']:.2f} at length 40 too: its recurrence "
    "`h_t = (1 − z_t) h_{t−1} + z_t h̃_t` only ever mixes the old state with a new one, with "
    "weights between 0 and 1, and cannot flip a bit the way parity needs; Grazzi et al. (2025, "
    "\"Unlocking state-tracking in linear RNNs through negative eigenvalues\") prove that "
    "linear recurrences with transition factors in [0, 1] cannot solve parity. The price of "
    "section 11's parallel scan is paid here."))

# %% [markdown]
# ## 10. A lookup across a gap: copying, and looking up a position
#
# Now a task made for lookup: a few symbols, a gap of blanks, a *go* marker, and the symbols
# asked back one by one (Hochreiter & Schmidhuber 1997). A Transformer can read each symbol
# from where it sits, if it learns where that is; a recurrent network must carry all of them
# through the gap in its state, and learn to. Trained on gaps of 1-40, tested on gaps up to
# 200 (chance `1 / symbols`):

# %%
cp = syn["results"]["copy"]
gaps = list(next(iter(cp.values()))["accuracy"])
chance = 1 / ss["copy_symbols"]
print(f"copy {ss['copy_n']} of {ss['copy_symbols']} symbols, gap" + "".join(f"{g:>7}" for g in gaps))
for kind, r in cp.items():
    print(f"{NAMES[kind]:12s}" + " " * 21 + "".join(f"{r['accuracy'][g]:>7.2f}" for g in gaps))


def make_copy(n, gap, gen):
    return copy_batch(n, ss["copy_n"], gap, gen, n_symbols=ss["copy_symbols"])


copy_here = {kind: task_accuracy(load_task_model("copy", kind), make_copy, int(gaps[0]), n=300,
                                 gen=torch.Generator().manual_seed(7)) for kind in cp}
print(f"tested here at gap {gaps[0]}, 300 fresh examples: "
      + ", ".join(f"{NAMES[k]} {v:.2f}" for k, v in copy_here.items()))
best_copy = max(cp, key=lambda k: cp[k]["accuracy"][gaps[0]])
solved = [k for k in cp if cp[k]["accuracy"][gaps[0]] > 0.9]

# %%
display(Markdown(
    f"At gap {gaps[0]} the best is the {NAMES[best_copy]} "
    f"({cp[best_copy]['accuracy'][gaps[0]]:.2f}); at gap {gaps[-1]}: "
    + ", ".join(f"{NAMES[k]} {cp[k]['accuracy'][gaps[-1]]:.2f}" for k in cp)
    + f" (chance {chance:.2f}). "
    + (f"Solved (above 0.9) by: {', '.join(NAMES[k] for k in solved)}."
       if solved else
       f"No model solved it in {ss['steps']} steps at about {ss['params']:,} parameters: "
       "each learned part of the answer (well above chance, far from 1). A lookup is easy to "
       "*represent* in attention, but the model must still learn where to look, here by "
       "position after a gap of varying length; section 16 cites work that trains long "
       "enough to see the difference.")))

# %% [markdown]
# A lookup that names its target makes the difference plain. **Positional lookup**: `n`
# random symbols (8 kinds), then one query token meaning "what was at position `p`?"; the
# answer is the symbol there (`rnnlab.tasks.lookup_batch`). With learned positions, one
# attention head can match the query's embedding to position `p`'s and copy what sits there,
# at any `n`. The LSTM reads the query last, so it must hold all `n` symbols (3 bits each) in
# its state until then. `benchmarks/synthetic_tasks.py --tasks lookup` trains one model of
# each kind per `n`, each about the same size, for the same CPU seconds of one thread, and
# tests it on fresh sequences of the same `n` (chance 1/8):

# %%
lk_run = loaded("lookup.json")
lk_models = torch.load(RESULTS / "lookup_models.pt", weights_only=True)
lk, lks = lk_run["results"]["lookup"], lk_run["settings"]
ns = list(lk["transformer"])
lk_chance = 1 / lks["lookup_symbols"]
print(f"loaded: {lk_run['date']}, {lks['cpu_seconds']:.0f} CPU seconds per model, about "
      f"{lks['lookup_params']:,} parameters each, load average {lk_run['load_average_start'][0]:.1f}")
print(f"{'n':>20}" + "".join(f"{n:>8}" for n in ns))
for kind, r in lk.items():
    print(f"{NAMES[kind] + ' accuracy':>20}" + "".join(f"{r[n]['accuracy']:>8.2f}" for n in ns))
    print(f"{'steps':>20}" + "".join(f"{r[n]['steps']:>8,}" for n in ns))


def load_lookup_model(n, kind):
    entry = lk_models["lookup"][n][kind]
    opts = {"max_len": entry["max_len"], "positions": "learned"} if kind == "transformer" else {}
    model = build_lm(kind, entry["vocab"], entry["width"], 2, **opts)
    model.load_state_dict(entry["state_dict"])
    return model.eval()


def make_lookup(batch, n, gen):
    return lookup_batch(batch, n, gen, n_symbols=lks["lookup_symbols"])


lookup_here = {kind: task_accuracy(load_lookup_model(ns[-1], kind), make_lookup, int(ns[-1]),
                                   n=300, gen=torch.Generator().manual_seed(7)) for kind in lk}
print(f"tested here at n = {ns[-1]}, 300 fresh examples: "
      + ", ".join(f"{NAMES[k]} {v:.2f}" for k, v in lookup_here.items()))
tf_lk = [lk["transformer"][n]["accuracy"] for n in ns]
ls_lk = [lk["lstm"][n]["accuracy"] for n in ns]
tf_solved = [n for n, a in zip(ns, tf_lk, strict=True) if a > 0.95]
assert tf_solved == ns[:len(tf_solved)] and len(tf_solved) >= 2     # solved up to some n
assert all(t > s + 0.2 for t, s in zip(tf_lk, ls_lk, strict=True))  # ahead of the LSTM at every n
assert max(ls_lk) < 0.9 and ls_lk[0] > ls_lk[-1]                   # the LSTM: worse as n grows
assert abs(ls_lk[-1] - lk_chance) < 0.05 and abs(lookup_here["lstm"] - lk_chance) < 0.08
assert abs(lookup_here["transformer"] - tf_lk[-1]) < 0.1            # the saved weights agree
assert lk["lstm"][ns[-1]]["steps"] > lk["transformer"][ns[-1]]["steps"]   # cheaper steps
assert cp["transformer"]["accuracy"][gaps[0]] < 0.9                 # copying: not learned

# %%
last = ns[-1]
display(Markdown(
    "The Transformer scores "
    + ", ".join(f"{a:.2f} at n = {n}" for n, a in zip(ns, tf_lk, strict=True))
    + ("" if tf_solved[-1] == last else
       f": at n = {last} its {lk['transformer'][last]['steps']:,} steps were not enough to "
       "finish learning")
    + f". The LSTM gets {ls_lk[0]:.2f} at n = {ns[0]} ({int(ns[0]) * 3} bits to hold) and "
    f"{ls_lk[-1]:.2f} at n = {last}, about chance ({lk_chance:.3f}), though its steps are "
    "cheaper: "
    + f"{lk['lstm'][last]['steps']:,} in the same CPU time. Attention wins here because the task "
    "names where to look; in the copy task it had to work that out from a gap of varying "
    "length, and did not in this budget. Had the query come *first*, the LSTM would need to "
    "keep only one symbol: the order of the question decides what a recurrent state must "
    "hold."))

# %% [markdown]
# ## 11. A recurrent network that trains in parallel: minGRU
#
# "RNNs cannot be parallelised" holds for the LSTM and GRU, whose gates read `h_{t-1}`. The
# **minGRU** (Feng et al. 2024, "Were RNNs all we needed?"; lesson 06's exercise) lets its gate
# and candidate read only the input:
#
# `z_t = σ(x_t W_zᵀ + b_z)`, `h̃_t = x_t W_hᵀ + b_h`, `h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t`.
#
# With `a_t = 1 − z_t` and `b_t = z_t ⊙ h̃_t` known for every `t` in advance, the recursion
# `h_t = a_t h_{t−1} + b_t` unrolls to `h_t = A_t (h_0 + Σ_{k≤t} b_k / A_k)`, `A_t = a_1⋯a_t`:
# a cumulative product and a cumulative sum, which a parallel machine computes in `O(log T)`
# rounds. `rnnlab.mingru.min_gru_scan` does it in log space (`cumsum` of `log a`,
# `logcumsumexp` of the terms), as Feng et al. do; `scan_doubling` does `log2 T` rounds of
# whole-tensor operations. Both against the plain loop, in float64:

# %%
def min_gru_loop(x, h0, W_z, b_z, W_h, b_h):
    """x (T, B, D), h0 (B, H) -> every h_t, (T, B, H); the gates read only x."""
    z = torch.sigmoid(x @ W_z.T + b_z)
    h_tilde = x @ W_h.T + b_h
    h, out = h0, []
    for t in range(x.shape[0]):
        h = (1 - z[t]) * h + z[t] * h_tilde[t]
        out.append(h)
    return torch.stack(out)


def mingru_inputs(T, H=32, B=4, dtype=torch.float64, seed=3):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(T, B, H, generator=g, dtype=dtype), torch.randn(B, H, generator=g,
                                                                       dtype=dtype),
            torch.randn(H, H, generator=g, dtype=dtype) / H ** 0.5,
            torch.randn(H, generator=g, dtype=dtype),
            torch.randn(H, H, generator=g, dtype=dtype) / H ** 0.5,
            torch.randn(H, generator=g, dtype=dtype))


args = mingru_inputs(1000)
loop_h = min_gru_loop(*args)
scan_h = min_gru_scan(*args)
z = torch.sigmoid(args[0] @ args[2].T + args[3])
dbl_h = scan_doubling(1 - z, z * (args[0] @ args[4].T + args[5]), args[1])
scan_diff = (scan_h - loop_h).abs().max().item()
dbl_diff = (dbl_h - loop_h).abs().max().item()
print(f"T = 1000: log-space scan vs loop {scan_diff:.1e}, doubling scan vs loop {dbl_diff:.1e}")
assert scan_diff < 1e-9 and dbl_diff < 1e-9

# %% [markdown]
# Timed here (float32, forward only, best of 3 in CPU time), at two sizes: the loop takes `T`
# small steps, each costing Python's overhead more than arithmetic; the scans do a few
# whole-tensor operations, but more arithmetic in total (the log-space one an `exp` and a `log`
# per number, the doubling one `log2 T` passes).

# %%
def best_of(fn, repeats=3):
    """Best CPU time of this process (one thread): other programs on the machine do not count."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def min_gru_doubling(x, h0, W_z, b_z, W_h, b_h):
    z = torch.sigmoid(x @ W_z.T + b_z)
    return scan_doubling(1 - z, z * (x @ W_h.T + b_h), h0)


ways = {"loop": min_gru_loop, "log-space scan": min_gru_scan, "doubling scan": min_gru_doubling}
scan_ms = {}
print(f"{'width x batch':>14}{'T':>6}" + "".join(f"{w:>16}" for w in ways) + "   (ms)")
with torch.no_grad():
    for H, B in ((16, 1), (64, 8)):
        for T in (256, 2048):
            inputs = mingru_inputs(T, H=H, B=B, dtype=torch.float32)
            scan_ms[H, B, T] = {w: 1e3 * best_of(lambda f=f, a=inputs: f(*a))
                                for w, f in ways.items()}
            print(f"{f'{H} x {B}':>14}{T:>6}" + "".join(f"{v:>16.1f}"
                                                      for v in scan_ms[H, B, T].values()))
small, large = scan_ms[16, 1, 2048], scan_ms[64, 8, 2048]
assert small["log-space scan"] < small["loop"] and small["doubling scan"] < small["loop"]
assert large["log-space scan"] > large["loop"]

# %%
display(Markdown(
    f"At width 16, batch 1, T = 2048, the log-space scan took {small['log-space scan']:.0f} ms "
    f"against the loop's {small['loop']:.0f} ms; at width 64, batch 8 it took "
    f"{large['log-space scan']:.0f} ms against {large['loop']:.0f} ms. On one CPU thread the "
    "scan saves the per-step overhead and pays in arithmetic: it wins while the steps are "
    "small. Its real advantage is on hardware that runs its whole-tensor operations in "
    "parallel (section 12), where the loop's T steps stay one after another."))

# %%
mg = cost["mingru_scan"]["rows"]
loop_big = max((r for r in mg if r["method"] == "loop"), key=lambda r: r["T"])
scan_big = next(r for r in mg if r["method"] == "log_scan" and r["T"] == loop_big["T"])
print(f"loaded (sequence_cost.py, width {cost['mingru_scan']['hidden']}, batch "
      f"{cost['mingru_scan']['batch']}): at T = {loop_big['T']:,} forward + backward, loop "
      f"{loop_big['forward_backward_s']:.2f} s, log-space scan "
      f"{scan_big['forward_backward_s']:.2f} s; crossings of the two: "
      f"{crossing_text('mingru_forward_backward_log_scan_vs_loop')}")

# %% [markdown]
# On the character data (section 7's benchmark, the same budget), the minGRU scored
# as printed below. Its training speed against T is in the widget above (the minGRU curve).

# %%
mgr = qrun["runs"]["mingru"]
display(Markdown(
    f"minGRU: {mgr['params']:,} parameters, {mgr['steps']} steps, test "
    f"**{mgr['test_bpc']:.3f}** bits per character (state carried across windows: "
    f"{mgr['test_bpc_carried_state']:.3f}); the GRU {qrun['runs']['gru']['test_bpc']:.3f}, "
    f"the LSTM {ls['test_bpc']:.3f}, the Transformer {tf['test_bpc']:.3f}, at the same "
    "parameter count and CPU budget."))

# %% [markdown]
# ## 12. On a GPU (optional)
#
# On a GPU the Transformer's and the scan's parallelism pays: thousands of positions are
# computed at once, while an LSTM's steps still run one after another (cuDNN fuses each step,
# not the sequence). This section runs only where CUDA is present; the numbers it would compare
# come from `python benchmarks/sequence_cost.py --device cuda --out
# benchmarks/results/sequence_cost_cuda.json`.

# %%
if torch.cuda.is_available():
    dev = torch.device("cuda")
    gpu_times = {}
    for kind in ("lstm", "transformer"):
        m = build_lm(kind, 100, 128, 2, **({"max_len": 1024} if kind == "transformer" else {}))
        m = m.to(dev)
        ids_gpu = torch.randint(0, 100, (16, 1024), device=dev)
        for _ in range(2):
            torch.cuda.synchronize()
            start = time.perf_counter()
            m(ids_gpu, None)[0].sum().backward()
            torch.cuda.synchronize()
        gpu_times[kind] = time.perf_counter() - start
    print(f"{torch.cuda.get_device_name()}: T = 1024, batch 16, forward + backward: "
          + ", ".join(f"{NAMES[k]} {1e3 * v:.1f} ms" for k, v in gpu_times.items()))
else:
    print("No CUDA device here: section skipped. The CPU numbers above stand alone.")

# %% [markdown]
# ## 13. Pitfalls
#
# - *"A KV cache makes generation cost constant per token."* It removes the re-reading of the
#   prefix, not the reading: token `t` still attends to `t` keys, and the cache grows by
#   `2 × layers × d` numbers per token (section 8). Only a recurrent state stays the same size.
# - *"Transformers know word order."* Only through what is added to the input (section 4);
#   a learned table stops at its `max_len`, and neither kind of table guarantees anything
#   beyond the lengths trained on (section 9).
# - *"Recurrent networks cannot be trained in parallel."* True of LSTM and GRU; false of
#   recurrences linear in `h` such as minGRU (section 11), and of the state-space models built
#   on the same idea. But linearity has a price: the minGRU did not learn parity even at the
#   lengths it trained on, where the LSTM and GRU generalised (section 9).
# - *"Transformers are better."* At what, at which size, on which hardware? On this CPU, at this
#   size and budget, section 7 says which scored best; section 9 found a task the Transformer
#   failed where an LSTM generalised, and section 10 one where the Transformer looked up a
#   named position and the LSTM could not hold the sequence. The cost crossings of section 8
#   move with the machine.
#
# ## 14. Quiz

# %%
quiz.show("causal-mask")

# %%
quiz.show("mha-mask-convention")

# %%
quiz.show("no-order")

# %%
quiz.show("kv-cache-size")

# %%
quiz.show("cache-not-constant")

# %%
quiz.show("mingru-parallel")

# %%
quiz.show("parity-generalisation")

# %%
quiz.show("fair-budget")

# %%
quiz.score()

# %% [markdown]
# ## 15. Exercises
#
# ### Exercise 1: the causal mask when the first keys come from a cache
# While generating with a cache, a call reads `n_queries` new tokens but attends to
# `n_keys ≥ n_queries` keys: the cached ones first, then the new ones. Write
# `cached_causal_mask(n_queries, n_keys)` returning a bool `(n_queries, n_keys)` tensor, True
# where query `i` may read key `j`. Query `i` sits at position `i + n_keys − n_queries`.

# %%
def cached_causal_mask(n_queries, n_keys):
    ### BEGIN SOLUTION
    position = torch.arange(n_queries)[:, None] + (n_keys - n_queries)
    return torch.arange(n_keys)[None, :] <= position
    ### END SOLUTION


# %%
check("l09.cached_causal_mask", cached_causal_mask)

# %% [markdown]
# ### Exercise 2: how big is a KV cache?
# Write `kv_cache_bytes(n_layers, d_model, length, batch, bytes_per_number)`: the bytes a
# Transformer's cache holds after `length` tokens for `batch` sequences (every layer keeps a
# key and a value of `d_model` numbers per token). Then try it on a model of 32 layers,
# `d_model` 4096, a context of 8192 tokens, in 2-byte numbers.

# %%
def kv_cache_bytes(n_layers, d_model, length, batch, bytes_per_number):
    ### BEGIN SOLUTION
    return 2 * n_layers * d_model * length * batch * bytes_per_number
    ### END SOLUTION


# %%
check("l09.kv_cache_bytes", kv_cache_bytes)

# %% [markdown]
# ## 16. Summary: what this lesson measured, and what changes at scale
#
# - Attention, multi-head self-attention, positions and the pre-norm block were built from
#   tensor operations and matched PyTorch to rounding error; the KV cache gave the same
#   next-token distribution as re-reading the prefix.
# - The table below is filled from this lesson's own cells and loaded benchmarks.

# %%
lstm_state_kib = lstm_bytes[-1] / 2**10
rows = [
    ("held-out bpc, same params and CPU budget (§7)",
     f"{ls['test_bpc']:.3f}", f"{tf['test_bpc']:.3f}", f"{mgr['test_bpc']:.3f}"),
    (f"training speed at T = {Ts[0]} / {Ts[-1]}, chars/s (§8)",
     f"{lstm_speed[0]:,.0f} / {lstm_speed[-1]:,.0f}",
     f"{tf_speed[0]:,.0f} / {tf_speed[-1]:,.0f}",
     " / ".join(f"{v:,.0f}" for v in curve_of("train", "mingru", "chars_per_s")[1][[0, -1]])),
    (f"ms per generated token at t = {ts[-1]:,} (§8)", f"{1e3 * lstm_ms[-1]:.2f}",
     f"{1e3 * cache_ms[-1]:.2f} (cache)",
     f"{1e3 * curve_of('generate', 'mingru', 'seconds_per_token', 't')[1][-1]:.2f}"),
    (f"state kept while streaming, t = {ts[-1]:,} (§8)", f"{lstm_state_kib:.0f} KiB",
     f"{cache_bytes[-1] / 2**20:.1f} MiB",
     f"{curve_of('generate', 'mingru', 'state_bytes', 't')[1][-1] / 2**10:.0f} KiB"),
    (f"parity, trained ≤ 40, accuracy at {lengths[-1]} (§9)", f"{far['lstm']:.2f}",
     f"{far['transformer']:.2f}", f"{far['mingru']:.2f}"),
    (f"copy across a gap of {gaps[0]} / {gaps[-1]} (§10)",
     *(f"{cp[k]['accuracy'][gaps[0]]:.2f} / {cp[k]['accuracy'][gaps[-1]]:.2f}" if k in cp
       else "not run" for k in ("lstm", "transformer", "mingru"))),
    (f"positional lookup, n = {ns[0]} / {ns[-1]} (§10)",
     *(f"{lk[k][ns[0]]['accuracy']:.2f} / {lk[k][ns[-1]]['accuracy']:.2f}" if k in lk
       else "not run" for k in ("lstm", "transformer", "mingru"))),
    ("parallel over T in training", "no", "yes", "yes (scan, §11)"),
]
display(Markdown("| measured here | LSTM | Transformer | minGRU |\n| --- | --- | --- | --- |\n"
                 + "\n".join("| " + " | ".join(r) + " |" for r in rows)))

# %% [markdown]
# **At scale** (cited, not measured here):
#
# - Kaplan et al. (2020, "Scaling laws for neural language models", section 3.2 and figure 7)
#   trained LSTMs and Transformers of up to hundreds of millions of parameters on the same text:
#   the LSTMs matched the Transformers on the first tokens of a context but fell behind on later
#   ones, and the gap grew with model size. Pretrained Transformers at that scale and beyond are
#   what language technology is built on today.
# - Recurrence came back at scale in new forms that train in parallel: RWKV (Peng et al. 2023)
#   reported a recurrent model of 14 billion parameters on par with Transformers of its size;
#   Mamba (Gu & Dao 2023), a selective state-space model, reported matching Transformers twice
#   its size in language modelling. Both keep a constant-size state while generating.
# - The lookup still separates them: Jelassi et al. (2024, "Repeat after me: Transformers are
#   better than state space models at copying") prove a fixed-size state cannot copy strings
#   longer than it can hold, and measure pretrained Transformers copying far better than
#   state-space models of the same size; Deletang et al. (2023) found the reverse on regular and
#   counter languages, as section 9 did.
#
# So: on long sequences with lookup and with parallel hardware, attention; for streaming with a
# fixed memory, for tasks a small automaton solves, or on a small CPU budget, recurrence is
# worth measuring first.

# %%
display(Markdown(next_lesson(9, "settles common beliefs about RNNs by computation")))
