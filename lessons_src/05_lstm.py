# %% [markdown] slideshow={"slide_type": "slide"}
# # 05 · LSTM
#
# **You will be able to**
# - write the LSTM cell (forget, input and output gates, and the cell state) from scratch and
#   prove it computes what `torch.nn.LSTM` computes, gradients included;
# - explain with a computation why the gradient can survive many steps in an LSTM, and when it
#   does not;
# - read a trained LSTM's gates, and measure what the forget-gate bias and a faster loop change.
#
# **Prerequisites:** lessons 02 (the RNN layer) and 04 (vanishing gradients).
# **Run time:** about 30 seconds on a laptop CPU.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea: a conveyor belt
#
# A vanilla RNN rewrites its whole state at every step: `h_t = tanh(W_ih x_t + W_hh h_{t-1} + b)`.
# Whatever it wants to keep must survive a matrix product and a `tanh`, again and again; lesson 04
# showed the gradient shrinking geometrically on that road.
#
# The LSTM (Hochreiter and Schmidhuber, 1997, with the forget gate of Gers et al., 2000) adds a
# second state, the **cell state** `c_t`, that runs alongside like a conveyor belt. At each step
# the belt is only *scaled* and *added to*:
#
# `c_t = f_t * c_{t-1} + i_t * g_t`
#
# The forget gate `f_t` (between 0 and 1, per unit) says how much of the belt to keep; the input
# gate `i_t` says how much of the new candidate `g_t` to put on it. Nothing multiplies `c` by a
# matrix. The picture below runs this one line with gates set by hand: a value 0.8 is written at
# step 5, then the belt keeps it (f = 1), lets it leak (f = 0.9), or clears it at step 30.

# %% slideshow={"slide_type": "skip"}
# %matplotlib widget
import time

import numpy as np
import torch
from IPython.display import Markdown, display
from torch import nn

from rnnlab import gradients as G
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.data import ADDING_BASELINE_MSE, adding_problem
from rnnlab.explorers import GateExplorer, GradientNormExplorer
from rnnlab.gated import lstm_layer_fast
from rnnlab.models import LSTM, RNN, FastLSTM
from rnnlab.quiz import Quiz
from rnnlab.train import seed_everything
from rnnlab.widgets import (
    canvas_widget,
    figure,
)

quiz = Quiz("l05")
gen = seed_everything(0)  # also sets one CPU thread: faster for models this small

# %%
steps = np.arange(40)
write = np.where(steps == 5, 1.0, 0.0)  # i_t: open only at step 5
g = np.full(40, 0.8)                     # the candidate value on offer


def belt(f):
    """Run c_t = f_t c_{t-1} + i_t g_t for a sequence of forget gates f (40,)."""
    c, out = 0.0, []
    for t in steps:
        c = f[t] * c + write[t] * g[t]
        out.append(c)
    return np.array(out)


keep = belt(np.ones(40))
leak = belt(np.full(40, 0.9))
clear = belt(np.where(steps == 30, 0.0, 1.0))
fig, ax = figure(figsize=(6.4, 2.6))
ax.plot(steps, keep, label="f = 1: kept")
ax.plot(steps, leak, label="f = 0.9: leaks")
ax.plot(steps, clear, "--", label="f = 0 at step 30: cleared")
ax.set_xlabel("step t")
ax.set_ylabel("cell state c_t")
ax.legend(fontsize=8)
display(canvas_widget(fig))
print(f"c at step 29: kept {keep[29]:.3f}, leaking {leak[29]:.3f} (= 0.8 * 0.9^24 = "
      f"{0.8 * 0.9 ** 24:.3f}), cleared-at-30 {clear[29]:.3f} then {clear[30]:.3f}")

# %% [markdown]
# **The constant error carousel, and why a forget gate was added.** The LSTM of 1997 had no
# forget gate: `c_t = c_{t−1} + i_t * g_t`. Then `∂c_t/∂c_{t−1}` is exactly the identity, and an
# error signal can circle on the belt for any number of steps without shrinking or growing.
# Hochreiter and Schmidhuber called this the **constant error carousel** (CEC). Gers,
# Schmidhuber and Cummins (2000) found its price on long, unsegmented streams: nothing ever
# empties the belt, so `c_t` drifts, `tanh(c_t)` saturates, and the cell stops responding. Their
# forget gate lets the network empty it. Below, 200 cells read 2000 steps with input and
# candidate values drawn at random (`i = σ(z)`, `g = tanh(z')`, `z, z'` standard normal), once
# without a forget gate and once with `f = 0.9`.

# %%
g_cec = torch.Generator().manual_seed(3)
c_none = torch.zeros(200, dtype=torch.float64)
c_forget = torch.zeros(200, dtype=torch.float64)
for _ in range(2000):
    written = torch.sigmoid(torch.randn(200, generator=g_cec, dtype=torch.float64)) * torch.tanh(
        torch.randn(200, generator=g_cec, dtype=torch.float64))
    c_none = c_none + written        # 1997: no forget gate, dc_t/dc_{t-1} = 1 exactly
    c_forget = 0.9 * c_forget + written
for name, c_end in (("no forget gate", c_none), ("forget gate 0.9", c_forget)):
    print(f"{name:<16} after 2000 steps: mean |c| {c_end.abs().mean():6.2f}, "
          f"share with tanh'(c) < 0.01: {((1 - torch.tanh(c_end) ** 2) < 0.01).double().mean():.0%}")
# What the text says: without a forget gate the belt drifts into saturation; with one it does not
assert c_none.abs().mean() > 5 * c_forget.abs().mean()
assert ((1 - torch.tanh(c_none) ** 2) < 0.01).double().mean() > 0.5
assert ((1 - torch.tanh(c_forget) ** 2) < 0.01).double().mean() < 0.05

# %% [markdown]
# The carousel kept the gradient along the belt exactly (a product of ones), but the state it
# protected wandered far from 0, where `h = o * tanh(c)` no longer moves when `c` does. With
# `f = 0.9` the belt forgets, stays in range, and the gradient along it shrinks by 0.9 per
# step: forgetting and remembering are one knob, and the network learns where to set it. (One
# more variant, in one line: Gers and Schmidhuber (2000) also let the gates look at the cell
# itself, "peephole" connections such as a term `w_cf * c_{t−1}` inside the forget gate.
# PyTorch's `nn.LSTM` has none; exercise 1 below asks you to add them.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The gates, one at a time
#
# PyTorch packs the four blocks of weights into one matrix: `weight_ih_l0` is `(4H, input)`
# and `weight_hh_l0` is `(4H, H)`, stacked in the order **i, f, g, o** (the biases likewise).
# We take one layer's weights and slice out each block so that every gate is one line of code.
# Names mirror the maths: `x_t` is `(batch, input)`, `h_prev` and `c_prev` are `(batch, H)`.
# One change of convention: in lessons 01-04 `f` was the non-linearity; here `f_t`, with its
# time index, is the forget gate (the start page's *Notation* table lists every symbol). As in
# lesson 04, the input weights are `W_ih` (lessons 02-03 wrote `W_xh`), and a batch is in rows.

# %%
H, n_in, batch = 5, 3, 4
ref = nn.LSTM(n_in, H).double()
W_ih, W_hh = ref.weight_ih_l0, ref.weight_hh_l0
b = ref.bias_ih_l0 + ref.bias_hh_l0  # two bias vectors, as in cuDNN; only their sum matters


def block(k):
    """Rows of gate k (0 = i, 1 = f, 2 = g, 3 = o): W_ih block, W_hh block, bias block."""
    rows = slice(k * H, (k + 1) * H)
    return W_ih[rows], W_hh[rows], b[rows]


x_t = torch.randn(batch, n_in, generator=gen, dtype=torch.float64)
h_prev = torch.randn(batch, H, generator=gen, dtype=torch.float64)
c_prev = torch.randn(batch, H, generator=gen, dtype=torch.float64)
print("weight_ih_l0", tuple(W_ih.shape), " weight_hh_l0", tuple(W_hh.shape),
      " bias", tuple(b.shape))


# %% [markdown]
# - **Forget gate**: how much of each unit's old cell value to keep (1 keeps, 0 erases).
# - **Input gate**: how much of the candidate to write onto the belt.
# - **Candidate**: the values on offer, squashed to (-1, 1) by `tanh`.
# - **Cell update**: keep part of the old, add part of the new; the only place `c` changes.
# - **Output gate**: how much of the (squashed) cell each unit shows as its hidden state.

# %%
def gate(k, act):
    W_x, W_h, b_k = block(k)
    return act(x_t @ W_x.T + h_prev @ W_h.T + b_k)


f_t = gate(1, torch.sigmoid)       # forget gate
i_t = gate(0, torch.sigmoid)       # input gate
g_t = gate(2, torch.tanh)          # candidate
c_t = f_t * c_prev + i_t * g_t     # cell update: scaled and added, no matrix
o_t = gate(3, torch.sigmoid)       # output gate
h_t = o_t * torch.tanh(c_t)        # hidden state: what the next layer and the next step see

# %% [markdown]
# **Check one step** against PyTorch's own cell, `nn.LSTMCell`, given the same weights:

# %%
torch_cell = nn.LSTMCell(n_in, H).double()
torch_cell.load_state_dict({k.replace("_l0", ""): v for k, v in ref.state_dict().items()})
h_ref, c_ref = torch_cell(x_t, (h_prev, c_prev))
step_diff = max((h_t - h_ref).abs().max().item(), (c_t - c_ref).abs().max().item())
print(f"one step vs nn.LSTMCell: max |difference| = {step_diff:.1e} (float64)")
assert step_diff < 1e-10


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The full cell, the layer, and the check against `nn.LSTM`
#
# Packed, the four gates come out of one matrix product and a `chunk`. A layer runs the cell
# over time; the output is every `h_t`, and `(h_n, c_n)` are the last states.

# %%
def lstm_step(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """One step. x_t (batch, input), h_prev and c_prev (batch, H) -> h, c (batch, H)."""
    z = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, g, o = z.chunk(4, dim=-1)  # torch's gate order
    c = torch.sigmoid(f) * c_prev + torch.sigmoid(i) * torch.tanh(g)
    h = torch.sigmoid(o) * torch.tanh(c)
    return h, c


def lstm_layer(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """x (seq_len, batch, input), h and c (batch, H) -> output (seq_len, batch, H), (h, c)."""
    outputs = []
    for x_t in x:
        h, c = lstm_step(x_t, h, c, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs), (h, c)


# %%
def compare_with_torch(dtype, seq_len=30):
    torch.manual_seed(1)
    lstm = nn.LSTM(n_in, H).to(dtype)
    x = torch.randn(seq_len, batch, n_in, dtype=dtype)
    h0, c0 = torch.randn(2, 1, batch, H, dtype=dtype)
    out_ref, (h_ref, c_ref) = lstm(x, (h0, c0))
    out, (h, c) = lstm_layer(x, h0[0], c0[0], *lstm.parameters())
    return max((out - out_ref).abs().max().item(), (h - h_ref[0]).abs().max().item(),
               (c - c_ref[0]).abs().max().item())


d64, d32 = compare_with_torch(torch.float64), compare_with_torch(torch.float32)
print(f"lstm_layer vs nn.LSTM, 30 steps: max |difference| = {d64:.1e} (float64), "
      f"{d32:.1e} (float32)")
assert d64 < 1e-10 and d32 < 1e-6

# %% [markdown]
# The course's library holds the same loop as `rnnlab.gated.LSTM`, with torch's constructor
# (`input_size, hidden_size, num_layers, bias, batch_first`), parameter names and return shapes,
# so `load_state_dict` from an `nn.LSTM` just works. Check it on a two-layer, batch-first LSTM,
# outputs, final states and every gradient:

# %%
torch.manual_seed(2)
theirs = nn.LSTM(n_in, H, num_layers=2, batch_first=True).double()
ours = LSTM(n_in, H, num_layers=2, batch_first=True).double()
ours.load_state_dict(theirs.state_dict())
x = torch.randn(batch, 30, n_in, dtype=torch.float64)
results = []
for model in (theirs, ours):
    out, (h_n, c_n) = model(x)
    loss = out.pow(2).sum() + h_n.sum() + c_n.sum()
    results.append([out, h_n, c_n, *torch.autograd.grad(loss, list(model.parameters()))])
lib_diff = max((a - b).abs().max().item() for a, b in zip(*results, strict=True))
print(f"rnnlab.gated.LSTM vs nn.LSTM (2 layers): outputs, states and {len(results[0]) - 3} "
      f"parameter gradients agree to {lib_diff:.1e}")
assert lib_diff < 1e-10

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: an LSTM with peepholes
# In the LSTM above the gates see `x_t` and `h_{t-1}` but never the cell state itself.
# *Peephole* connections (Gers and Schmidhuber, 2000) let them look at it, each through a
# vector of per-unit weights (an elementwise product, not a matrix):
#
# - `i = σ(W_ii x_t + W_hi h_{t-1} + b_i + w_ci ⊙ c_{t-1})`, and `f` likewise with `w_cf`;
# - `g` and the cell update `c_t = f ⊙ c_{t-1} + i ⊙ g` as before;
# - `o = σ(W_io x_t + W_ho h_{t-1} + b_o + w_co ⊙ c_t)`: the output gate looks at the **new**
#   cell state, `h_t = o ⊙ tanh(c_t)`.
#
# Write `lstm_peephole_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co)`
# returning `(h, c)`, with torch's packed weights (gate order i, f, g, o) and `w_c*` of shape
# `(H,)`. With the three peephole vectors at zero it must equal the cell above. (PyTorch's
# `nn.LSTM` has no peepholes; in Greff et al., 2017, "LSTM: A Search Space Odyssey", removing
# them did not significantly hurt performance on any of their three tasks.)

# %% slideshow={"slide_type": "skip"}
def lstm_peephole_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh, w_ci, w_cf, w_co):
    ### BEGIN SOLUTION
    zi, zf, zg, zo = (x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).chunk(4, dim=-1)
    keep = torch.sigmoid(zf + w_cf * c_prev)
    write = torch.sigmoid(zi + w_ci * c_prev)
    c_new = keep * c_prev + write * torch.tanh(zg)
    return torch.sigmoid(zo + w_co * c_new) * torch.tanh(c_new), c_new
    ### END SOLUTION


# %%
check("l05.lstm_peephole_cell", lstm_peephole_cell)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Does the gradient survive?
#
# Lesson 04 measured `||dL/dh_t||`, how strongly the loss at the last step reaches back to each
# hidden state, for the loss `L = v · h_T` with a fixed unit vector `v`, on untrained networks
# whose recurrent weight blocks have spectral radius ρ. Here is its gradient-norm view
# (`rnnlab.gradients.profile`) with the **LSTM** selected; the grey curve is the vanilla RNN at
# the same settings.

# %%
GradientNormExplorer(cell="LSTM", show=("cell", "rho", "T"), rho=(1.0, 0.5, 3.0, 0.25),
                     T=(100, 10, 300, 10), title="Lesson 04's gradient-norm view")

# %%
at_1 = {cell: G.profile(cell, T=100, hidden=64, rho=1.0).log_ratio for cell in ("RNN", "LSTM")}
display(Markdown(
    f"At ρ = 1 and T = 100, the gradient at step 1 is 10^{at_1['RNN']:.1f} times the one at "
    f"step 100 for the RNN, and 10^{at_1['LSTM']:.1f} for the LSTM. The untrained LSTM decays "
    f"{'more slowly, but it still vanishes' if at_1['LSTM'] < -3 else 'far less'}. These "
    f"networks have PyTorch's default biases, so their forget gates sit near σ(0) = 0.5. The "
    f"next cell changes only that bias."))

# %% [markdown]
# The course's layers keep every `h_t` in the autograd graph, so
# `torch.autograd.grad(L, model.hidden_states[-1])` gives every `dL/dh_t` in one call. Below:
# the vanilla RNN and three LSTMs at PyTorch's default initialisation that differ only in the
# forget gate's bias: the default (near 0), 1, and 3.

# %%
T_g, H_g = 100, 32
x_g = torch.randn(T_g, 4, generator=gen, dtype=torch.float64)  # one unbatched sequence
v = torch.randn(H_g, generator=gen, dtype=torch.float64)
v = v / v.norm()


def grad_norms(model):
    """||dL/dh_t|| for t = 1..T (a NumPy array), L = v . h_T."""
    model(x_g)
    states = model.hidden_states[-1]
    grads = torch.autograd.grad(v @ states[-1], states)
    return np.array([gr.norm().item() for gr in grads])


def lstm_with_forget_bias(bias):
    torch.manual_seed(0)
    lstm = LSTM(4, H_g).double()
    if bias is not None:
        with torch.no_grad():  # the forget block is rows H..2H; the two biases add up
            lstm.bias_ih_l0[H_g:2 * H_g] = bias
            lstm.bias_hh_l0[H_g:2 * H_g] = 0.0
    return lstm


torch.manual_seed(0)
curves = {"vanilla RNN": (grad_norms(RNN(4, H_g).double()), None)}
for label, bias in (("LSTM, default init", None), ("LSTM, forget bias 1", 1.0),
                    ("LSTM, forget bias 3", 3.0)):
    lstm = lstm_with_forget_bias(bias)
    curves[label] = (grad_norms(lstm), lstm.gates[0]["f"].mean().item())

fig, ax = figure(figsize=(6.4, 3.2))
for label, (norms, _) in curves.items():
    ax.semilogy(np.arange(1, T_g + 1), norms, label=label)
ax.set_xlabel("step t")
ax.set_ylabel("||dL/dh_t||")
ax.legend(fontsize=8)
display(canvas_widget(fig))
for label, (norms, f_mean) in curves.items():
    extra = "" if f_mean is None else f", mean forget gate {f_mean:.2f}"
    print(f"{label:<21} ||dL/dh_1|| = {norms[0]:.1e}{extra}")

# %%
rnn_first = curves["vanilla RNN"][0][0]
lstm0, f0 = curves["LSTM, default init"]
lstm3, f3 = curves["LSTM, forget bias 3"]
# what the text below says, checked
assert lstm0[0] < 1e-10 and f0 < 0.6 and lstm3[:-1].max() / lstm3[:-1].min() < 10
assert rnn_first < 1e-3 * lstm3[:-1].min()
display(Markdown(
    f"Read the numbers, not the legend. The RNN's gradient at step 1 is "
    f"**{rnn_first:.0e}**. The LSTM at PyTorch's default initialisation is *not* immune: its "
    f"forget gates sit near σ(0) = 0.5 (mean **{f0:.2f}**), the belt loses about half of "
    f"itself per step, and the gradient at step 1 is **{lstm0[0]:.0e}**. With the forget "
    f"bias at 3 the gates sit at **{f3:.2f}**; after the first step back (from "
    f"||dL/dh_{T_g}|| = 1 to **{lstm3[-2]:.2f}**), the gradient stays between "
    f"**{lstm3[:-1].min():.2f}** and **{lstm3[:-1].max():.2f}** all the way to step 1, within "
    f"a factor of {lstm3[:-1].max() / lstm3[:-1].min():.0f}: nearly flat, where the RNN's fell "
    f"to {rnn_first:.0e}."))

# %% [markdown]
# **Why.** Follow the gradient along the belt: since `c_t = f_t * c_{t-1} + i_t * g_t`,
#
# `∂c_t / ∂c_{t-1} = diag(f_t)` (plus paths through `h_{t-1}` and the gates).
#
# Over many steps this path multiplies forget gates, element by element: no `W_hh`, no `tanh'`.
# A unit's gradient decays about as fast as that unit forgets, and the network *learns* `f`:
# a unit that must remember learns `f ≈ 1` and passes the gradient back almost undiminished.
# A vanilla RNN has no such knob: its only path multiplies `diag(tanh') W_hh` at every step,
# and keeping that product's size near 1 in every direction at once is what lesson 04 showed
# to be fragile. The next cell puts the two numbers side by side: the average factor by which
# the gradient shrank per step (from step T-1 back to step 1), and the mean forget gate. They
# are not equal (other paths add to the belt's), but they move together.

# %%
kept_vs_forget = []
for label, (norms, f_mean) in list(curves.items())[1:]:
    # from step T-1 back to step 1 (the last step's gradient is v itself)
    per_step = (norms[0] / norms[-2]) ** (1 / (T_g - 2))
    kept_vs_forget.append((f_mean, per_step))
    print(f"{label:<21} gradient kept per step {per_step:.3f}   mean forget gate {f_mean:.3f}")
# "they move together": ordered by mean forget gate, the kept share is ordered too
kept_sorted = [k for _, k in sorted(kept_vs_forget)]
assert kept_sorted == sorted(kept_sorted)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Watching the gates: remember, then forget
#
# A task that needs all three gates. Each step carries a random value in [-1, 1) and two flags,
# **store** and **clear**. The target at every step is the value seen at the last *store*, or 0
# after a *clear* (and before any store). To solve it the network must write at store steps
# (input gate), hold in between (forget gate near 1), and drop the memory at clear steps
# (forget gate near 0).

# %%
def remember_forget(n, T, gen, p=0.1):
    """Inputs (n, T, 3): value, store flag, clear flag. Targets (n, T, 1)."""
    value = torch.rand(n, T, generator=gen) * 2 - 1
    event = torch.rand(n, T, generator=gen)
    store, clear = (event < p).float(), ((event >= p) & (event < 2 * p)).float()
    memory, target = torch.zeros(n), torch.zeros(n, T)
    for t in range(T):
        memory = torch.where(store[:, t] > 0, value[:, t], memory)
        memory = torch.where(clear[:, t] > 0, torch.zeros_like(memory), memory)
        target[:, t] = memory
    return torch.stack([value, store, clear], dim=-1), target.unsqueeze(-1)


class Tagger(nn.Module):
    """A recurrent layer and a linear read-out at every step: (batch, T, 3) -> (batch, T, 1)."""

    def __init__(self, hidden, layer=nn.LSTM):
        super().__init__()
        self.rnn = layer(3, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


T_rf, H_rf = 40, 8
x_rf_test, y_rf_test = remember_forget(512, T_rf, gen)
baseline_rf = y_rf_test.pow(2).mean().item()  # always predicting 0
torch.manual_seed(0)
tagger = Tagger(H_rf)
opt = torch.optim.Adam(tagger.parameters(), lr=1e-2)
for _ in range(300):
    x_b, y_b = remember_forget(64, T_rf, gen)
    loss = (tagger(x_b) - y_b).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
with torch.no_grad():
    mse_rf = (tagger(x_rf_test) - y_rf_test).pow(2).mean().item()
print(f"test MSE after 300 steps: {mse_rf:.4f} (predicting 0 everywhere: {baseline_rf:.4f})")

# %% [markdown]
# We trained PyTorch's `nn.LSTM` because it is fast. To read its gates, load its weights into the
# course's `LSTM`, which computes the same thing and keeps every gate activation in
# `gates[layer]`, a dict of `(batch, T, H)` tensors:

# %%
probe = LSTM(3, H_rf, batch_first=True)
probe.load_state_dict(tagger.rnn.state_dict())
n_show = 8
with torch.no_grad():
    out_probe, _ = probe(x_rf_test[:n_show])
    pred_rf = tagger.head(out_probe).squeeze(-1).numpy()
    same = (out_probe - tagger.rnn(x_rf_test[:n_show])[0]).abs().max().item()
gate_maps = {k: probe.gates[0][k].numpy() for k in ("f", "i", "o")}
print(f"probe vs the trained nn.LSTM: max |difference| = {same:.1e} (float32)")
assert same < 1e-6
print({k: tuple(v.shape) for k, v in probe.gates[0].items()})

# %% [markdown]
# Pick a test sequence and a range of units. The top panel shows the flags, the target and the
# prediction; below, each gate as a heatmap, units down, time across (yellow = open, 1; dark =
# closed, 0).

# %%
x_np, y_np = x_rf_test[:n_show].numpy(), y_rf_test[:n_show, :, 0].numpy()
GateExplorer(
    [("forget gate f", gate_maps["f"]), ("input gate i", gate_maps["i"]),
     ("output gate o", gate_maps["o"])],
    [("store", x_np[:, :, 1], {"where": "mid", "color": "tab:green"}),
     ("clear (drawn at -1)", -x_np[:, :, 2], {"where": "mid", "color": "tab:red"}),
     ("target", y_np, {"color": "black", "ls": "--"}),
     ("prediction", pred_rf, {"color": "tab:blue"})],
    describe=lambda k: f"sequence {k}: MSE {np.mean((pred_rf[k] - y_np[k]) ** 2):.4f}")

# %% [markdown]
# What to look for, measured over all 512 test sequences rather than read off one picture: for
# each unit, the mean input gate at store steps against other steps, and the mean forget gate
# at clear steps against other steps. The units with the largest differences are the ones the
# network uses for the memory.

# %%
with torch.no_grad():
    probe(x_rf_test)
store_at = x_rf_test[..., 1] > 0
clear_at = x_rf_test[..., 2] > 0
i_all, f_all = probe.gates[0]["i"], probe.gates[0]["f"]
i_store, i_other = i_all[store_at].mean(0), i_all[~store_at].mean(0)
f_clear, f_other = f_all[clear_at].mean(0), f_all[~clear_at].mean(0)
u_i = int((i_store - i_other).argmax())
u_f = int((f_other - f_clear).argmax())
print(f"unit {u_i}: input gate {i_store[u_i]:.2f} at store steps, {i_other[u_i]:.2f} elsewhere")
print(f"unit {u_f}: forget gate {f_clear[u_f]:.2f} at clear steps, {f_other[u_f]:.2f} elsewhere")
# the summary's "input gates open at store steps, forget gates close at clear steps", checked
assert i_store[u_i] > i_other[u_i] + 0.3 and f_clear[u_f] < f_other[u_f] - 0.3

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. The forget-gate bias, and the adding problem solved live
#
# Jozefowicz, Zaremba and Sutskever (2015) recommend initialising the forget gate's bias to 1, so
# the belt starts out keeping about σ(1) ≈ 0.73 of itself per step instead of σ(0) = 0.5. Does it
# speed up learning? Measure it on a long-range task: the **adding problem**
# (`rnnlab.data.adding_problem`). Each of T steps carries a random value and a marker; two steps
# are marked, one in each half; the target is the sum of the two marked values. Predicting the
# constant 1 scores MSE 1/6, so a model has *solved* the task when its test MSE falls far below
# that: we say below 0.01. Same data, same seeds, only the forget bias differs.

# %%
class Summer(nn.Module):
    """Reads the sequence, predicts from the last hidden state: (batch, T, 2) -> (batch, 1)."""

    def __init__(self, hidden, layer=nn.LSTM, forget_bias=None):
        super().__init__()
        self.rnn = layer(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        if forget_bias is not None:
            with torch.no_grad():
                self.rnn.bias_ih_l0[hidden:2 * hidden] = forget_bias
                self.rnn.bias_hh_l0[hidden:2 * hidden] = 0.0

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


T_add, H_add, solved_at = 50, 32, 0.01
x_add_test, y_add_test = adding_problem(500, T_add, torch.Generator().manual_seed(1))


def steps_to_solve(make_model, seed, max_steps=1200, every=25):
    """Train with Adam (lr 1e-2, batches of 64); return (steps, test MSE, seconds), steps None if
    the test MSE never fell below `solved_at`."""
    torch.manual_seed(seed)
    model = make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    data_gen = torch.Generator().manual_seed(100 + seed)
    start = time.perf_counter()
    for step in range(1, max_steps + 1):
        x_b, y_b = adding_problem(64, T_add, data_gen)
        loss = (model(x_b) - y_b).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % every == 0:
            with torch.no_grad():
                mse = (model(x_add_test) - y_add_test).pow(2).mean().item()
            if mse < solved_at:
                return step, mse, time.perf_counter() - start
    return None, mse, time.perf_counter() - start


seeds = (0, 1)
bias_runs = {}
for label, fb in (("default (near 0)", None), ("1", 1.0)):
    bias_runs[label] = [steps_to_solve(lambda fb=fb: Summer(H_add, forget_bias=fb), s)
                        for s in seeds]
    for s, (n, mse, sec) in zip(seeds, bias_runs[label], strict=True):
        print(f"forget bias {label:<16} seed {s}: solved in {n} steps (test MSE {mse:.4f}, "
              f"{sec:.1f} s)")
print(f"baseline (predict 1): MSE {ADDING_BASELINE_MSE:.4f}")

# %%
steps_default = [r[0] for r in bias_runs["default (near 0)"]]
steps_one = [r[0] for r in bias_runs["1"]]
if all(steps_default + steps_one):
    faster = sum(a < b for a, b in zip(steps_one, steps_default, strict=True))
    summary = (
        f"Every run solved the T = {T_add} adding problem (test MSE below {solved_at}, against "
        f"the baseline {ADDING_BASELINE_MSE:.3f}). Steps to solve with the default forget bias: "
        f"**{', '.join(map(str, steps_default))}**; with bias 1: "
        f"**{', '.join(map(str, steps_one))}** (seeds {', '.join(map(str, seeds))}). Bias 1 was "
        f"faster for **{faster} of {len(seeds)}** seeds, on average "
        f"**{np.mean(steps_default) / np.mean(steps_one):.2f}** times as fast. Two seeds on one "
        f"length are a hint, not a law: rerun with more seeds, or a larger T, before you trust "
        f"the size of the effect.")
else:
    summary = ("Some runs did not solve the task within the step budget; see the printed "
               "lines above.")
display(Markdown(summary))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Speed: the naive loop, a faster loop, and `nn.LSTM`
#
# Our `lstm_layer` does the whole cell at every step, input projection `x_t @ W_ih.T` included.
# But the input projections do not depend on `h`: all T of them can be computed *before* the
# loop, in one large matrix multiply, leaving only `h @ W_hh.T` and the gate arithmetic inside
# the loop. That is `rnnlab.gated.FastLSTM` (same parameters, same outputs and gradients). The
# cell below times a forward pass and a forward + backward pass of the three (the best of 5 runs
# each, the three taking turns; timings on a shared machine are noisy, so compare ratios, not
# milliseconds, and rerun the cell if one looks odd). The full
# table, at several lengths, comes from `python benchmarks/lstm_speed.py`.

# %%
def seconds(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def best_time(fn, repeats=5):
    fn()  # warm-up
    return min(seconds(fn) for _ in range(repeats))


def race(models, x, repeats=5):
    """{name: (forward s, forward + backward s)}, each the best of `repeats`. The models take
    turns, so a burst of load elsewhere on the machine hits all of them alike."""

    def forward(m):
        with torch.no_grad():
            m(x)

    def forward_backward(m):
        m(x)[0].sum().backward()
        m.zero_grad(set_to_none=True)

    best = {name: [np.inf, np.inf] for name in models}
    for rep in range(repeats + 1):  # round 0 warms up
        for name, m in models.items():
            f, fb = seconds(forward, m), seconds(forward_backward, m)
            if rep:
                best[name] = [min(best[name][0], f), min(best[name][1], fb)]
    return best


torch.manual_seed(0)
B_s, T_s, I_s, H_s = 32, 64, 32, 128
speed_ref = nn.LSTM(I_s, H_s, batch_first=True)
contenders = {"naive loop (LSTM)": LSTM(I_s, H_s, batch_first=True),
              "fast loop (FastLSTM)": FastLSTM(I_s, H_s, batch_first=True),
              "nn.LSTM": speed_ref}
for m in contenders.values():
    m.load_state_dict(speed_ref.state_dict())
x_s = torch.randn(B_s, T_s, I_s)
fast_diff = (contenders["fast loop (FastLSTM)"](x_s)[0] - speed_ref(x_s)[0]).abs().max().item()
print(f"FastLSTM vs nn.LSTM: max |difference| = {fast_diff:.1e} (float32)")
assert fast_diff < 1e-6
timings = race(contenders, x_s)
base_f, base_fb = timings["nn.LSTM"]
print(f"batch {B_s}, T = {T_s}, input {I_s}, hidden {H_s}, float32, best of 5")
print(f"{'':<22}{'forward':>10}{'x nn.LSTM':>11}{'fwd+bwd':>10}{'x nn.LSTM':>11}")
for name, (f_s, fb_s) in timings.items():
    print(f"{name:<22}{1e3 * f_s:>8.1f}ms{f_s / base_f:>11.2f}{1e3 * fb_s:>8.1f}ms"
          f"{fb_s / base_fb:>11.2f}")

# %% [markdown]
# Why is `nn.LSTM` ahead? Ask the profiler which operators it runs:

# %%
with torch.autograd.profiler.profile() as prof:
    speed_ref(x_s)[0].sum().backward()
fused = sorted({e.name for e in prof.function_events if "rnn" in e.name.lower()})
print("nn.LSTM's operators with 'rnn' in their name:", ", ".join(fused))
with torch.autograd.profiler.profile() as prof:
    contenders["fast loop (FastLSTM)"](x_s)[0].sum().backward()
n_ops = sum(1 for e in prof.function_events if e.name.startswith("aten::"))
print(f"FastLSTM, forward + backward: {n_ops} aten operators for {T_s} steps, about "
      f"{n_ops / T_s:.0f} per step")

# %%
naive_f, naive_fb = timings["naive loop (LSTM)"]
fast_f, fast_fb = timings["fast loop (FastLSTM)"]
lstm_is_fused = any("mkldnn_rnn" in name for name in fused)
# "nn.LSTM is ahead" of both loops, forward and backward (a wide margin, stable under load)
assert base_f < min(naive_f, fast_f) and base_fb < min(naive_fb, fast_fb)
display(Markdown(
    f"On this run: the fast loop took **{fast_f / naive_f:.2f}** times the naive loop's time "
    f"forward and **{fast_fb / naive_fb:.2f}** times forward + backward; against `nn.LSTM` the "
    f"naive loop is **{naive_f / base_f:.1f}x / {naive_fb / base_fb:.1f}x** and the fast one "
    f"**{fast_f / base_f:.1f}x / {fast_fb / base_fb:.1f}x** (forward / forward + backward). "
    + (f"In this PyTorch build (torch {torch.__version__}), on the CPU, `nn.LSTM` hands the whole "
       f"layer, forward and backward, to one fused oneDNN operator (`mkldnn_rnn_layer`; oneDNN "
       f"has a fused LSTM kernel and PyTorch routes CPU LSTMs to it when it is built in), while "
       f"a Python loop pays a small fixed cost for each of its many operators at every step. "
       if lstm_is_fused else
       "This PyTorch build ran `nn.LSTM` without a fused oneDNN operator; what makes it faster "
       "here is its C++ loop. ")
    + "Hoisting the input projection removes one matrix product per step; the rest of the gap "
    "is that per-operator overhead. (On a GPU, `nn.LSTM` calls cuDNN's fused kernel instead: "
    "different numbers, the same reason.)"))

# %% [markdown]
# **A pitfall worth measuring.** The obvious way to write the fast loop indexes the precomputed
# projections, `xp[t]` (or `xp[:, t]` batch-first), at each step. The forward pass is just as
# fast. The backward pass is not: the gradient of a slice is a tensor *as large as all of
# `xp`*, zero except for that step, and autograd adds T of them. That is T² work where T would do.
# `unbind` splits `xp` into per-step views whose backward is a single `stack`. Below, only that
# line differs; the backward time is measured at two lengths (small, so the lesson stays fast).

# %%
def trap_times(T, B=8, n_in=8, hidden=32, steps="unbind"):
    torch.manual_seed(0)
    cell = nn.LSTM(n_in, hidden)
    x = torch.randn(T, B, n_in)
    h0 = c0 = torch.zeros(B, hidden)

    def forward_backward():
        outs, _, _ = lstm_layer_fast(x, h0, c0, *cell.parameters(), steps=steps)
        torch.stack(outs).sum().backward()

    return best_time(forward_backward, repeats=3)


trap = {T: (trap_times(T, steps="unbind"), trap_times(T, steps="index")) for T in (50, 400)}
for T, (t_unbind, t_index) in trap.items():
    print(f"T = {T:>3}: forward + backward {1e3 * t_unbind:6.1f} ms with unbind, "
          f"{1e3 * t_index:6.1f} ms with xp[t]: xp[t] takes {t_index / t_unbind:.1f} times as long")
ratio_50, ratio_400 = (trap[T][1] / trap[T][0] for T in (50, 400))
assert ratio_400 > max(1.0, ratio_50)  # "the ratio grows with T", checked

# %% [markdown]
# The ratio grows with T, as a T² cost should; `python benchmarks/lstm_speed.py --trap` measures
# it at T = 512. (An aside that matters for your own loops: `x_t in x` and `x.unbind(0)` are
# both fine in the *forward* loop of a naive layer, because there each slice's gradient flows
# into the input `x`, and that input usually needs no gradient at all.)
#
# ## 8. Pitfalls
#
# - *"An LSTM cannot have vanishing gradients."* Section 4: at PyTorch's default initialisation
#   an untrained LSTM's gradient shrank by a factor close to its mean forget gate at every step.
#   The LSTM makes a flat gradient *possible*, through forget gates near 1.
# - *"The two bias vectors `bias_ih` and `bias_hh` do different things."* Only their sum enters
#   the cell (they exist for compatibility with cuDNN). Moving one into the other changes
#   nothing, as the next cell shows. To set the forget bias to 1, set the *sum* (section 6 puts
#   1 in `bias_ih` and 0 in `bias_hh`).
# - *"`h_t` is the memory."* The memory is `c_t`; `h_t = o_t * tanh(c_t)` is what the unit shows,
#   and a closed output gate hides a memory that is still there.

# %%
torch.manual_seed(3)
one = nn.LSTM(3, 4).double()
two = nn.LSTM(3, 4).double()
two.load_state_dict(one.state_dict())
with torch.no_grad():
    two.bias_ih_l0 += two.bias_hh_l0  # all of the bias in one vector
    two.bias_hh_l0.zero_()
x_p = torch.randn(10, 2, 3, dtype=torch.float64)
bias_diff = (one(x_p)[0] - two(x_p)[0]).abs().max().item()
print(f"biases moved from bias_hh into bias_ih: outputs differ by {bias_diff:.1e}")
assert bias_diff < 1e-12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Quiz

# %%
quiz.show("forget-gate")

# %%
quiz.show("input-gate")

# %%
quiz.show("output-gate")

# %%
quiz.show("gate-order")

# %%
quiz.show("param-count")

# %%
quiz.show("why-gradient")

# %%
quiz.show("untrained-lstm")

# %%
quiz.score()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: count the parameters
# Write `lstm_param_count(input_size, hidden_size, num_layers, bias)` returning the number of
# parameters of `nn.LSTM(input_size, hidden_size, num_layers, bias=bias)` as an int, without
# building one. Layer 0 reads `input_size` features; the layers above read the `hidden_size`
# outputs of the layer below.

# %% slideshow={"slide_type": "skip"}
def lstm_param_count(input_size, hidden_size, num_layers, bias):
    ### BEGIN SOLUTION
    total = 0
    for layer in range(num_layers):
        width = input_size if layer == 0 else hidden_size
        total += 4 * hidden_size * (width + hidden_size)
        if bias:
            total += 2 * 4 * hidden_size
    return total
    ### END SOLUTION


# %%
check("l05.lstm_param_count", lstm_param_count)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Summary
#
# - The LSTM adds a cell state that is only scaled (forget gate) and added to (input gate times
#   candidate); the output gate decides how much of it to show as `h_t`. PyTorch packs the four
#   blocks in the order i, f, g, o.
# - Our cell, our layer and the library's `rnnlab.gated.LSTM` match `nn.LSTM` to rounding error
#   (outputs, states, gradients), so trained weights move freely between them.
# - Along the cell state the gradient is multiplied by forget gates, element by element: it
#   survives where `f ≈ 1`, and it vanished for an untrained LSTM whose gates sat at 0.5.
# - A trained LSTM's gates are readable: input gates open at store steps, forget gates close at
#   clear steps.
# - Hoisting the input projections out of the loop saves a matrix product per step; both loops
#   stay behind `nn.LSTM`, which in the CPU build measured here runs one fused oneDNN operator
#   (on a GPU, cuDNN's). Split the projections with `unbind`, not `xp[t]`, or the backward pass
#   grows as T².
# - The 1997 LSTM had no forget gate: its constant error carousel kept the gradient exactly,
#   and its state drifted into saturation on long streams; the forget gate fixed that.
#
# **Next:** lesson 06 builds the GRU, a gated cell with one state and three blocks instead of
# four, and races it against the LSTM on the same tasks.
