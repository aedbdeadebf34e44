# %% [markdown]
# # 10 · Common beliefs about RNNs, settled by computation, and a self-test
#
# **You will be able to**
# - say, for thirteen things often said about recurrent networks, whether each is true, false or
#   "it depends", and show the computation that decides it;
# - reuse the course's code (BPTT by hand, gradient norms, the gated cells, minGRU's scan,
#   attention) to test a claim instead of repeating it;
# - find out what you remember from the whole course, and where to go back.
#
# **Prerequisites:** lessons 01-08 (lesson 09's library is used too).
# **Run time:** about 45 seconds on a laptop CPU; the two larger experiments are loaded from
# `benchmarks/beliefs.py`.

# %% [markdown]
# ## 1. The idea
#
# Blog posts and interviews pass on short sentences about RNNs: "an RNN has memory", "LSTMs
# solved vanishing gradients", "RNNs are obsolete". Some are right, some half right, some wrong.
# Each section below states one plainly, gives a verdict, and computes the number that decides
# it, mostly with code from earlier lessons. Every verdict is an `assert`: if a number ever
# stops supporting it, this notebook fails. Section 11 is a self-test over the whole course;
# the summary gathers the verdicts in one table, built from the cells' values.

# %%
import json
import math
from pathlib import Path

import numpy as np
import torch
from IPython.display import Markdown, display
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

import rnnlab
from rnnlab import bptt as bp
from rnnlab import forecast as fc
from rnnlab import gradients as gr
from rnnlab.beliefs import depth_sweep, recall_curve
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.gated import LSTM, gru_cell, lstm_cell
from rnnlab.mingru import min_gru_loop, min_gru_scan, scan_doubling
from rnnlab.selftest import SelfTest
from rnnlab.train import seed_everything
from rnnlab.transformer import MultiHeadSelfAttention, kv_cache_numbers

gen = seed_everything(0)  # also one CPU thread: faster for models this small
RESULTS = Path(rnnlab.__file__).resolve().parent.parent / "benchmarks" / "results"
bench = json.loads((RESULTS / "beliefs.json").read_text())
settled = []   # one row per belief: (belief, verdict, the number that settles it)

# %% [markdown]
# ## 2. "An RNN has memory"
#
# **Verdict: it depends on what you mean.** The state can *store* an input for ever; whether a
# trained network *recalls* it depends on the cell and the delay. The task: see one of 8
# symbols, then `delay` blanks, then a "go" mark; answer the symbol (`rnnlab.tasks.copy_batch`
# with one symbol; chance is 1/8). First, storing: a linear recurrence with `W_hh = I` keeps a
# one-hot input unchanged through any number of blank steps.

# %%
def stored_after(symbol: int, delay: int, n_symbols: int = 8) -> torch.Tensor:
    """h after one symbol and `delay` blanks, in h_t = I h_{t-1} + x_t (blanks are zeros)."""
    W_hh = torch.eye(n_symbols, dtype=torch.float64)
    h = torch.zeros(n_symbols, dtype=torch.float64)
    inputs = [torch.eye(n_symbols, dtype=torch.float64)[symbol]] + \
        [torch.zeros(n_symbols, dtype=torch.float64)] * delay
    for x_t in inputs:
        h = W_hh @ h + x_t
    return h


store_delay = 1000
stored_right = all(int(stored_after(s, store_delay).argmax()) == s for s in range(8))
print(f"hand-set recurrence, delay {store_delay}: every symbol read back right: {stored_right}")
assert stored_right

# %% [markdown]
# Now recalling, learnt: a vanilla RNN, an LSTM and a GRU of 32 units, one model per delay,
# each trained for the same 120 steps here (a small live version).

# %%
live_delays = (2, 10)
live = recall_curve(["rnn", "lstm", "gru"], live_delays, steps=120)
for kind, row in live.items():
    print(f"{kind:4s} " + "  ".join(f"delay {d:2d}: {a:.2f}" for d, a in row.items()))
assert live["rnn"][10] < 0.5 < live["gru"][10]

# %% [markdown]
# The fuller run (`benchmarks/beliefs.py`: more delays, more steps) is loaded. "Reach" is the
# longest delay before the accuracy first falls under 0.9.

# %%
recall = bench["recall"]
rs = recall["settings"]
print(f"loaded: {recall['date']}, seed {rs['seed']}, {rs['recall_steps']} steps per model, "
      f"{bench['threads']} thread, load average {recall['load_average_start'][0]:.1f}")
print("delay  " + " ".join(f"{d:>6}" for d in rs["delays"]))
for kind in ("rnn", "lstm", "gru"):
    print(f"{kind:5s}  " + " ".join(f"{recall['accuracy'][kind][str(d)]:6.2f}"
                                    for d in rs["delays"]) + f"   reach {recall['reach'][kind]}")
reaches = recall["reach"]
assert reaches["rnn"] < max(reaches["lstm"], reaches["gru"])
assert stored_right and reaches["rnn"] < store_delay
display(Markdown(
    f"Storing is easy: a state of 8 numbers held the symbol for {store_delay} steps. Learning "
    f"to keep it is another matter: trained for {rs['recall_steps']} steps, the vanilla RNN "
    f"recalls reliably up to a delay of {reaches['rnn']}, the LSTM up to {reaches['lstm']} and "
    f"the GRU up to {reaches['gru']} (of the delays tried, up to {max(rs['delays'])}). The "
    "gradient that would teach the vanilla RNN to keep the symbol fades with the delay "
    "(lesson 04); the gated cells have a path along which it need not."))
settled.append(("1. An RNN has memory", "depends",
                f"stored for {store_delay} steps by hand; learnt recall reaches "
                f"{reaches['rnn']} (RNN), {reaches['lstm']} (LSTM), {reaches['gru']} (GRU) "
                f"steps"))

# %% [markdown]
# ## 3. "LSTM and GRU are not RNNs"
#
# **Verdict: false.** All three are one recurrence `h_t = F(h_{t-1}, x_t)` with a different
# `F` (the LSTM's state is the pair `(h, c)`). One loop runs all three, and it matches PyTorch's
# `nn.RNN`, `nn.LSTM` and `nn.GRU`:

# %%
def unroll(F, state, xs):
    """The one recurrence: state = F(state, x_t) for every x_t of xs (T, B, D)."""
    outputs = []
    for x_t in xs:
        state = F(state, x_t)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outputs)


D, H, T, B = 3, 5, 7, 2
xs = torch.randn(T, B, D, dtype=torch.float64, generator=gen)
h0 = torch.zeros(B, H, dtype=torch.float64)
torch.manual_seed(0)
ref = {name: cls(D, H, dtype=torch.float64) for name, cls in
       (("RNN", nn.RNN), ("LSTM", nn.LSTM), ("GRU", nn.GRU))}
w = {name: [getattr(m, p) for p in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
     for name, m in ref.items()}
step = {
    "RNN": lambda h, x: torch.tanh(x @ w["RNN"][0].T + h @ w["RNN"][1].T + w["RNN"][2]
                                   + w["RNN"][3]),
    "LSTM": lambda s, x: lstm_cell(x, s[0], s[1], *w["LSTM"])[:2],
    "GRU": lambda h, x: gru_cell(x, h, *w["GRU"])[0],
}
start = {"RNN": h0, "LSTM": (h0, h0), "GRU": h0}
interface_err = 0.0
with torch.no_grad():
    for name in ref:
        ours, theirs = unroll(step[name], start[name], xs), ref[name](xs)[0]
        interface_err = max(interface_err, (ours - theirs).abs().max().item())
        print(f"{name:4s}: one loop, F = its cell; largest difference from nn.{name}: "
              f"{(ours - theirs).abs().max().item():.1e}")
assert interface_err < 1e-12
settled.append(("3. LSTM and GRU are not RNNs", "false",
                f"one loop h_t = F(h_(t-1), x_t) matches nn.RNN, nn.LSTM, nn.GRU to "
                f"{interface_err:.0e}"))

# %% [markdown]
# ## 4. "Backpropagation through time is a different algorithm"
#
# **Verdict: false.** It is backpropagation on the unrolled graph. Lesson 03's backward pass,
# written by hand, against autograd on the same unrolled forward:

# %%
params = bp.init_params(3, 6, 2, gen=gen)
xs4 = torch.randn(12, 4, 3, dtype=torch.float64, generator=gen)
targets = torch.randn(12, 4, 2, dtype=torch.float64, generator=gen)
by_hand = bp.bptt(params, xs4, targets).grads
by_autograd = bp.autograd_bptt(params, xs4, targets)
bptt_err = max((by_hand[k] - by_autograd[k]).abs().max().item() for k in by_autograd)
print(f"hand-written BPTT against autograd, every parameter and h0: largest difference "
      f"{bptt_err:.1e}")
assert all(torch.allclose(by_hand[k], by_autograd[k], rtol=1e-10, atol=1e-12)
           for k in by_autograd)
settled.append(("4. BPTT is a different algorithm", "false",
                f"hand BPTT = autograd on the unrolled graph, difference {bptt_err:.0e}"))

# %% [markdown]
# ## 5. "RNNs handle any length with no padding"
#
# **Verdict: true one sequence at a time; a batch needs padding and then packing or
# masking.** Lesson 02's computation again: three sequences of lengths 5, 3 and 2, each read
# alone, then as one zero-padded batch, naively and packed.

# %%
rnn = nn.RNN(1, 4, dtype=torch.float64)
lengths = torch.tensor([5, 3, 2])
seqs = [torch.randn(int(n), 1, dtype=torch.float64, generator=gen) for n in lengths]
with torch.no_grad():
    alone = torch.stack([rnn(s)[1][0] for s in seqs])
    padded = pad_sequence(seqs)
    naive = rnn(padded)[1][0]
    packed = rnn(pack_padded_sequence(padded, lengths, enforce_sorted=False))[1][0]
naive_err = (naive - alone).abs().max().item()
packed_err = (packed - alone).abs().max().item()
print(f"final state, padded batch against each sequence alone: naive {naive_err:.2e}, "
      f"packed {packed_err:.1e}")
assert packed_err < 1e-12 < 1e-3 < naive_err
settled.append(("6. RNNs need no padding", "depends",
                f"naive padding moves the final state by {naive_err:.2f}; packing by "
                f"{packed_err:.0e}"))

# %% [markdown]
# ## 6. "The vanishing gradient problem is solved"
#
# **Verdict: false, as a blanket statement.** Gating, initialisation and clipping each change
# something, and none makes gradients survive by itself. ||dL/dh_t|| for a loss on the last of
# T = 100 steps, as in lesson 04, for an untrained LSTM with PyTorch's initialisation, the same
# LSTM with 3 added to its forget-gate biases, and a tanh RNN:

# %%
T6, H6 = 100, 32
x6 = gr.random_inputs(T6, 8)
v6 = gr.readout(H6)
torch.manual_seed(0)
lstm = LSTM(8, H6, dtype=torch.float64)


def first_forget_gate(layer):
    """The mean forget gate at step 1 (h_0 = 0): torch's gate order is i, f, g, o."""
    f = slice(H6, 2 * H6)
    with torch.no_grad():
        return torch.sigmoid(x6[0] @ layer.weight_ih_l0[f].T + layer.bias_ih_l0[f]
                             + layer.bias_hh_l0[f]).mean().item()


lstm_norms, _ = gr.gated_autograd_norms(lstm, x6, v6)
f_default = first_forget_gate(lstm)
with torch.no_grad():
    lstm.bias_hh_l0[H6:2 * H6] += 3.0
biased_norms, _ = gr.gated_autograd_norms(lstm, x6, v6)
f_biased = first_forget_gate(lstm)
print(f"mean forget gate at step 1: {f_default:.2f} by default, {f_biased:.2f} with the bias")
assert 0.4 < f_default < 0.6 and f_biased > 0.9
rnn6 = gr.random_rnn(8, H6, rho=1.0)
rnn_norms = 10 ** gr.log_grad_norms(x6, rnn6, v6).log_norms
decay = {name: float(n[0] / n[-1]) for name, n in
         (("LSTM, default init", lstm_norms), ("LSTM, forget bias +3", biased_norms),
          ("tanh RNN, rho = 1", rnn_norms))}
for name, r in decay.items():
    print(f"{name:22s} ||dL/dh_1|| / ||dL/dh_100|| = {r:.1e}")
assert decay["LSTM, default init"] < 1e-3 < decay["LSTM, forget bias +3"]

# %% [markdown]
# An untrained LSTM's gradient decays too: its forget gates start near 0.5, which halves the
# cell-state path at every step; the gating only makes survival *possible*, once the forget
# gates are near 1 (by training, or by the bias). Clipping cannot help: it rescales the summed
# parameter gradient by one factor, so each time step's share in it is unchanged (lesson 04,
# section 7). Here is lesson 03's per-step split of dL/dW_hh, before and after clipping to norm 1:

# %%
res = bp.bptt(bp.init_params(3, 6, 2, gen=gen, scale=0.8), xs4, targets)
per_step = res.per_step["W_hh"]                        # (T, H, H): each step's term
factor = min(1.0, 1.0 / res.grads["W_hh"].norm().item())
share = per_step.flatten(1).norm(dim=1) / per_step.flatten(1).norm(dim=1).sum()
share_clipped = (factor * per_step).flatten(1).norm(dim=1)
share_clipped = share_clipped / share_clipped.sum()
clip_change = (share - share_clipped).abs().max().item()
print(f"clip factor {factor:.3f}; step 1's share of the gradient {share[0]:.2e} before, "
      f"{share_clipped[0]:.2e} after; the last step's {share[-1]:.3f} and "
      f"{share_clipped[-1]:.3f} (largest change over steps {clip_change:.0e})")
assert factor < 1 and clip_change < 1e-12

# %% [markdown]
# **Also said: "vanishing gradients cause infinite loops".** Nothing loops. A forward pass over T
# steps runs the cell exactly T times, whatever the weights; what vanishes is the *influence of
# early inputs on learning*. A tanh RNN with spectral radius 0.9, T = 1000:

# %%
calls = 0


def counted_step(h, x):
    global calls
    calls += 1
    return step["RNN"](h, x)


with torch.no_grad():
    unroll(counted_step, h0, torch.randn(1000, B, D, dtype=torch.float64, generator=gen))
log_ratio = gr.log_grad_norms(gr.random_inputs(1000, 8), gr.random_rnn(8, H6, rho=0.9),
                              v6).log_norms
print(f"cell calls for T = 1000: {calls}; log10 ||dL/dh_1|| / ||dL/dh_1000|| = "
      f"{log_ratio[0] - log_ratio[-1]:.0f}")
assert calls == 1000 and log_ratio[0] - log_ratio[-1] < -10
settled.append(("7. Vanishing gradients are solved", "false",
                f"untrained LSTM: ratio {decay['LSTM, default init']:.0e} over 100 steps; "
                f"clipping changes step shares by {clip_change:.0e}"))
settled.append(("Vanishing gradients cause infinite loops", "false",
                f"{calls} cell calls for T = 1000; gradient ratio 1e{log_ratio[0] - log_ratio[-1]:.0f}"))

# %% [markdown]
# **Also said: "a vanilla RNN struggles beyond about ten steps".** There is no fixed number.
# How many steps back the gradient stays above 1/1000 of its size at the loss depends on the
# spectral radius, the nonlinearity and the initialisation (lesson 04's widget shows it live):

# %%
def steps_above(rho, nonlinearity, init="gaussian", T=1000, floor=-3.0):
    """How many steps back log10 ||dL/dh_t|| / ||dL/dh_T|| stays above `floor`."""
    logs = gr.log_grad_norms(gr.random_inputs(T, 8), gr.random_rnn(8, 64, rho, init),
                             gr.readout(64), nonlinearity).log_norms
    rel = logs - logs[-1]
    below = np.nonzero(rel < floor)[0]
    return T - 1 - int(below[-1]) if below.size else T


reach_steps = {(rho, f, init): steps_above(rho, f, init) for rho, f, init in
               ((0.5, "tanh", "gaussian"), (0.9, "tanh", "gaussian"),
                (1.0, "linear", "orthogonal"))}
for (rho, f, init), n in reach_steps.items():
    print(f"rho {rho}, {f:6s} {init:10s}: gradient above 1/1000 for {n} steps"
          + (" (all of them)" if n == 1000 else ""))
spread = sorted(reach_steps.values())
assert spread[0] < 20 and spread[-1] == 1000
settled.append(("A vanilla RNN fails beyond ~10 steps", "false (depends)",
                f"gradient above 1/1000 for {spread[0]} to {spread[-1]} steps, by rho and "
                f"nonlinearity"))

# %% [markdown]
# ## 7. "More layers always help"
#
# **Verdict: false.** A depth sweep on a fixed budget: GRU language models on lesson 07's text
# with about 20,000 parameters each (so the deeper ones are narrower), the same number of
# training steps, held-out bits per character. Live, two depths and few steps:

# %%
live_depth = depth_sweep([1, 4], budget=20_000, steps=40, seq_len=32, valid_chars=4000)
for depth, r in live_depth.items():
    print(f"{depth} layers of {r['width']:2d} units, {r['params']} parameters: "
          f"{r['bpc']:.3f} bits per character")
assert live_depth[4]["bpc"] > live_depth[1]["bpc"]

# %%
ds, dset = bench["depth"]["by_depth"], bench["depth"]["settings"]
print(f"loaded: {bench['depth']['date']}, {min(dset['depths'])} to {max(dset['depths'])} layers, "
      f"{dset['budget']} parameters, {dset['depth_steps']} steps each, seed {dset['seed']}")
for depth, r in ds.items():
    print(f"{depth} layers of {r['width']:2d} units: {r['bpc']:.3f} bits per character")
best_depth = min(ds, key=lambda d: ds[d]["bpc"])
assert ds["8"]["bpc"] > ds[best_depth]["bpc"] and best_depth == "1"
settled.append(("5. More layers always help", "false",
                f"best of 1-8 layers ({dset['budget']} parameters, {dset['depth_steps']} steps):"
                f" {best_depth} layer, {ds[best_depth]['bpc']:.2f} bpc; 8 layers "
                f"{ds['8']['bpc']:.2f} bpc"))

display(Markdown(
    f"On this budget one layer is best ({ds[best_depth]['bpc']:.2f} bits per character) and "
    f"eight layers of {ds['8']['width']} units reach only {ds['8']['bpc']:.2f}. Depth costs "
    "width when the parameter count is fixed, and every layer is one more stage the gradient "
    "passes through. With a longer training budget the ranking may change, and stacking helps "
    "when a task needs it (lesson 06, section 5): the measured claim is only that more layers "
    "do not *always* help."))

# %% [markdown]
# ## 8. Transformers: what attention adds, parallel training, positions, and "RNNs are obsolete"
#
# **"Understanding RNNs is enough; Transformers can be skipped": false.** Attention removes the
# fixed-vector bottleneck. Lesson 08's reversal task (loaded, `benchmarks/seq2seq.py`), the
# longest inputs:

# %%
s2s = {(r["task"], r["model"]): r for r in
       json.loads((RESULTS / "seq2seq.json").read_text())["runs"]}
longest = {m: s2s[("reverse", m)]["test"]["by_length"][-1] for m in ("none", "additive")}
print(f"reversing {longest['none']['lengths']} symbols, exact: without attention "
      f"{longest['none']['exact']:.2f}, with attention {longest['additive']['exact']:.2f}")
assert longest["additive"]["exact"] > 0.9 > 0.1 > longest["none"]["exact"]
settled.append(("8. Transformers can be skipped", "false",
                f"reversal of {longest['none']['lengths']} symbols: {longest['none']['exact']:.2f}"
                f" exact without attention, {longest['additive']['exact']:.2f} with"))

# %% [markdown]
# **"Positional encoding is a step of an RNN": false, it is the Transformer's.** Self-attention
# without positions treats its input as a set: permute the inputs and the outputs are only
# permuted. A recurrence reads in order, so its state changes:

# %%
torch.manual_seed(0)
attn = MultiHeadSelfAttention(8, 2).double()
x8 = torch.randn(1, 5, 8, dtype=torch.float64, generator=gen)
perm = torch.tensor([4, 2, 0, 3, 1])
with torch.no_grad():
    out, _ = attn(x8, causal=False)
    out_p, _ = attn(x8[:, perm], causal=False)
    rnn8 = nn.RNN(8, 8, batch_first=True, dtype=torch.float64)
    h_order = rnn8(x8)[1][0, 0]
    h_perm = rnn8(x8[:, perm])[1][0, 0]
attn_err = (out_p - out[:, perm]).abs().max().item()
rnn_moved = (h_perm - h_order).abs().max().item()
print(f"attention, permuted input: outputs = permuted outputs to {attn_err:.0e}; "
      f"RNN final state moves by {rnn_moved:.2f}")
assert attn_err < 1e-12 and rnn_moved > 1e-2
settled.append(("Positional encoding is an RNN step", "false",
                f"attention without positions is order-blind ({attn_err:.0e}); the RNN's "
                f"state moves {rnn_moved:.2f}"))

# %% [markdown]
# **"A Transformer trains in parallel, an RNN cannot": true for classic RNNs.** Their `h_t`
# needs `h_{t-1}` through a nonlinearity, so the steps run one after another. Recurrences that
# are linear in `h`, like lesson 09's minGRU (Feng et al. 2024), can be computed by a scan in
# about log2 T rounds of whole-sequence operations, and give the same states as the loop:

# %%
T8, H8 = 1024, 16
x_m = torch.randn(T8, 2, 4, dtype=torch.float64, generator=gen)
W_z, W_h = (torch.randn(H8, 4, dtype=torch.float64, generator=gen) for _ in range(2))
b_z, b_h = (torch.zeros(H8, dtype=torch.float64) for _ in range(2))
h0_m = torch.zeros(2, H8, dtype=torch.float64)
loop = min_gru_loop(x_m, h0_m, W_z, b_z, W_h, b_h)
scan = min_gru_scan(x_m, h0_m, W_z, b_z, W_h, b_h)
z = torch.sigmoid(x_m @ W_z.T + b_z)
doubling = scan_doubling(1 - z, z * (x_m @ W_h.T + b_h), h0_m)
rounds = math.ceil(math.log2(T8))
print(f"minGRU over T = {T8}: scan vs loop {(scan - loop).abs().max().item():.0e}, doubling "
      f"scan vs loop {(doubling - loop).abs().max().item():.0e}; {T8} sequential steps "
      f"against {rounds} rounds")
assert torch.allclose(scan, loop, atol=1e-10) and torch.allclose(doubling, loop, atol=1e-10)
settled.append(("A Transformer trains in parallel, an RNN cannot", "true for classic RNNs",
                f"minGRU: {rounds} scan rounds instead of {T8} steps, same states"))

# %% [markdown]
# **"RNNs are obsolete": false.** Generating a stream one token at a time, a recurrent model
# keeps a state of fixed size and does the same work per token; a Transformer keeps a key and a
# value per past token and attends over all of them. The numbers kept between tokens, 2 layers
# of width 128, after t tokens:

# %%
lstm_state = 2 * 2 * 128            # h and c, per layer
kept = {t: kv_cache_numbers(2, 128, t) for t in (100, 1000, 10_000)}
for t, n in kept.items():
    print(f"after {t:6d} tokens: LSTM {lstm_state} numbers, Transformer KV cache {n:,} "
          f"({n // lstm_state}x)")
assert all(n > lstm_state for n in kept.values())
settled.append(("2. RNNs are obsolete", "false",
                f"streaming state: {lstm_state} numbers for an LSTM, {kept[10_000]:,} for a "
                f"KV cache at 10,000 tokens"))

# %% [markdown]
# Where a stream never ends and memory is fixed, that constant state is what counts, and it is
# why recent models return to recurrence with parallel training: minGRU, state-space models such
# as Mamba (Gu and Dao 2023), RWKV (Peng et al. 2023). Lesson 09 measures the training and
# generation costs.
#
# ## 9. "RNNs beat feedforward nets at predicting stock prices"
#
# **Verdict: false.** Lesson 07's computation: a GRU forecasting tomorrow's Google share price
# from 20 days of changes, against "tomorrow equals today", a random walk's best guess.

# %%
days, price = fc.goog_daily()
g_train_end = int(0.8 * len(price))
g_origins = np.arange(g_train_end - 1, len(price) - 1)
g_model, g_scale = fc.train_gru(price, g_train_end, window=20, outputs=1, steps=150, batch=32)
mae_naive = fc.errors(price, fc.last_value(price, g_origins, 1), g_origins)["mae"][0]
g_forecast = fc.gru_direct(g_model, g_scale, price, g_origins, 20)      # (days, 1)
mae_gru = fc.errors(price, g_forecast, g_origins)["mae"][0]
g_forecast = g_forecast[:, 0]
r_today = np.corrcoef(g_forecast, price[g_origins])[0, 1]
print(f"{len(g_origins)} test days, mean absolute error: tomorrow-equals-today "
      f"{mae_naive:.2f} dollars, GRU {mae_gru:.2f}; the GRU's forecast correlates "
      f"{r_today:.4f} with today's price")
assert mae_gru > 0.98 * mae_naive and r_today > 0.99
settled.append(("RNNs beat other nets at stock prices", "false",
                f"GRU error {mae_gru:.2f} dollars a day vs {mae_naive:.2f} for "
                f"tomorrow-equals-today"))

# %% [markdown]
# A model cannot find a pattern the data does not hold: day-to-day changes of a share price are
# close to unpredictable, and the GRU learns to say "about today's price".
#
# ## 10. Exercise
#
# Write `numbers_kept(kind, n_layers, width, t)`: how many numbers a model keeps between tokens
# after generating `t` tokens, for `kind` one of `"lstm"` (h and c per layer), `"gru"` and
# `"mingru"` (h per layer) and `"transformer"` (a key and a value of `width` numbers per past
# token per layer). Section 8 counted two of these by hand.

# %%
def numbers_kept(kind, n_layers, width, t):
    ### BEGIN SOLUTION
    per_layer = {"lstm": 2 * width, "gru": width, "mingru": width,
                 "transformer": 2 * width * t}[kind]
    return n_layers * per_layer
    ### END SOLUTION


# %%
check("l10.numbers_kept", numbers_kept)

# %% [markdown]
# ## 11. The self-test
#
# One question from every lesson's quiz, three that need two lessons at once, and two
# interview-style questions to answer in your own words (the model answer appears once you
# commit yours). **Re-roll** draws another set; **Score** gives your score by lesson and by topic
# and where to go back. Answers are saved: the start page's progress table has a self-test row.
# Without the widget: `test.questions()` lists the draw; `test.answer(1, "b")` answers question 1;
# a short answer n is `test.commit(n, "your words")`, then `test.mark(n, True)` if yours had the
# model answer's points; `test.score()`, `test.reroll()`.

# %%
test = SelfTest(seed=0)
test.show()

# %% [markdown]
# ## 12. Summary
#
# - A claim about a model is settled by computing something: an error, a gradient ratio, a
#   held-out score beside a baseline, an equality to PyTorch.
# - The state can store an input for ever; whether training teaches a network to keep it
#   depends on the cell and the delay. LSTM, GRU and vanilla RNN are one recurrence with three
#   cells, trained by ordinary backpropagation on the unrolled graph.
# - Gating makes long gradients possible, not certain; clipping only stops explosions; there is
#   no fixed "ten steps". More layers on a fixed budget can be worse.
# - Attention removes the fixed-vector bottleneck and trains in parallel; recurrence keeps a
#   fixed-size state for streams, and linear recurrences train in parallel too.
#
# The beliefs, settled (every row comes from a cell above):

# %%
order = sorted(settled, key=lambda r: (not r[0][0].isdigit(), r[0]))
display(Markdown("| belief | verdict | the number that settles it |\n| --- | --- | --- |\n"
                 + "\n".join(f"| {b} | {v} | {n} |" for b, v, n in order)))
assert len(settled) == 13

# %%
display(Markdown("**This is the last lesson.** Your progress, the self-test's included, is on "
                 "the [start page](00_start_here.ipynb)."))
