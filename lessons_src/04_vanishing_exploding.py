# %% [markdown]
# # 04 · Vanishing and exploding gradients
#
# **You will be able to**
# - compute ||∂L/∂h_t||, the size of the gradient reaching each hidden state, three ways
#   (autograd, a product of Jacobians, a hand-written recursion) and show they agree;
# - predict from the spectral radius of `W_hh` and the non-linearity whether it vanishes or
#   explodes, and by how much per step, and watch it happen during training;
# - measure what the usual remedies (clipping, orthogonal and identity initialisation, gating,
#   truncation) do, and what they do not.
#
# **Prerequisites:** lesson 02 (the recurrence) and lesson 03 (backpropagation through time);
# eigenvalues and singular values of a matrix, by name.
# **Run time:** about 15 to 30 seconds on a 2-core laptop CPU (most of it training small models).

# %% [markdown]
# ## 1. The idea
#
# A vanilla RNN computes `a_t = W_ih x_t + W_hh h_{t-1} + b` and `h_t = f(a_t)`. Lesson 03
# showed that the gradient of a loss `L` flows backwards through every step; with the loss on the
# last state only, the chain rule gives
#
# $$\frac{\partial L}{\partial h_t}
#   = \Big(\prod_{k=t+1}^{T} J_k\Big)^{\!\top} \frac{\partial L}{\partial h_T},
# \qquad J_k = \frac{\partial h_k}{\partial h_{k-1}}
#   = \operatorname{diag}\big(f'(a_k)\big)\, W_{hh}.$$
#
# A product of `T − t` matrices behaves like a power: if every `J_k` shrinks vectors, the
# gradient reaching early steps shrinks geometrically (it **vanishes**); if they stretch vectors,
# it grows geometrically (it **explodes**). Early inputs then either stop influencing learning, or
# make single updates so large that training diverges. This lesson computes the product, watches
# it, and measures what helps.
#
# Throughout, the loss is `L = v · h_T` for a fixed random unit vector `v`, so `∂L/∂h_T = v` and
# every curve starts at 1 at `t = T`. Names mirror the maths: `W_hh`, `W_ih`, `a` for
# pre-activations, `J` for a Jacobian, `P` for a product of Jacobians.

# %%
# %matplotlib widget
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
from IPython.display import Markdown, display
from torch import nn

from rnnlab import gradients as G
from rnnlab.check import check
from rnnlab.data import ADDING_BASELINE_MSE, adding_problem
from rnnlab.explorers import ClippingExplorer, GradientNormExplorer, TrainingGradientsExplorer
from rnnlab.models import RNN
from rnnlab.quiz import Quiz
from rnnlab.train import fit, seed_everything
from rnnlab.widgets import figure

quiz = Quiz("l04")
gen = seed_everything(0)  # also sets one CPU thread: faster for models this small
LESSON_START = time.perf_counter()

# %% [markdown]
# ## 2. The product of Jacobians, from scratch
#
# One step's Jacobian is `diag(f'(a_k)) W_hh`: row `i` of `W_hh` scaled by `f'(a_k)[i]`. For
# `tanh`, `f'(a) = 1 − tanh(a)²`. We run a tanh RNN forward on a random sequence, keep the
# pre-activations, and multiply the Jacobians from the last step backwards.

# %%
T, H, n_in = 30, 8, 3
W_ih = torch.randn(H, n_in, dtype=torch.float64, generator=gen) / math.sqrt(n_in)
W_hh = torch.randn(H, H, dtype=torch.float64, generator=gen) / math.sqrt(H)
b = 0.1 * torch.randn(H, dtype=torch.float64, generator=gen)
x = torch.randn(T, n_in, dtype=torch.float64, generator=gen)
v = torch.randn(H, dtype=torch.float64, generator=gen)
v = v / v.norm()

h = torch.zeros(H, dtype=torch.float64)
pre = []  # a_1 .. a_T
for t in range(T):
    a = W_ih @ x[t] + W_hh @ h + b
    h = torch.tanh(a)
    pre.append(a)


def step_jacobian(W_hh, a):
    """dh_k/dh_{k-1} = diag(f'(a_k)) W_hh for tanh: (H, H)."""
    return (1 - torch.tanh(a) ** 2)[:, None] * W_hh


# dL/dh_t = P_t^T v with P_t = J_T J_{T-1} ... J_{t+1}; P_T is the identity.
P = torch.eye(H, dtype=torch.float64)
by_jacobians = [v.norm()]
for k in range(T - 1, 0, -1):  # multiply in J_{k+1} (a_{k+1} is pre[k]) to get P_k
    P = P @ step_jacobian(W_hh, pre[k])
    by_jacobians.append((P.T @ v).norm())
by_jacobians = torch.stack(by_jacobians[::-1])  # t = 1..T
print("||dL/dh_t|| for t = 1, 10, 20, 30:",
      ", ".join(f"{by_jacobians[t - 1]:.3g}" for t in (1, 10, 20, 30)))

# %% [markdown]
# **Check it against autograd on the course's RNN.** `rnnlab.models.RNN` keeps every `h_t` it
# computed in `hidden_states`, still inside the autograd graph, so `torch.autograd.grad(L,
# states)` returns ∂L/∂h_t for every `t`, all paths included. Same weights, float64.

# %%
rnn = RNN(n_in, H, dtype=torch.float64)
with torch.no_grad():
    rnn.weight_ih_l0.copy_(W_ih)
    rnn.weight_hh_l0.copy_(W_hh)
    rnn.bias_ih_l0.copy_(b)
    rnn.bias_hh_l0.zero_()
out, _ = rnn(x)
states = rnn.hidden_states[0]
by_autograd = G.autograd_grad_norms(out[-1] @ v, states)
diff = (by_autograd - by_jacobians).abs().max().item()
rel = ((by_autograd - by_jacobians).abs() / by_autograd).max().item()
ok = torch.allclose(by_autograd, by_jacobians, rtol=1e-10, atol=0)
print(f"{'✔' if ok else '✘'} Jacobian product vs autograd on rnnlab.models.RNN: "
      f"max abs difference {diff:.2g}, max relative difference {rel:.2g}")
assert ok

# %% [markdown]
# The library's versions, used from here on, are `G.jacobian_product_norms` (the same loop) and
# `G.log_grad_norms`, a hand-written backward recursion `g_{t−1} = W_hhᵀ (f'(a_t) ⊙ g_t)` that
# stores each vector as *(unit vector, log of its length)*. Products of hundreds of factors leave
# float64's range (about 10^±308); logarithms do not. It must give the same numbers:

# %%
w8 = G.RNNWeights(W_ih, W_hh, b)
fast = torch.from_numpy(10 ** G.log_grad_norms(x, w8, v, "tanh").log_norms)
lib = G.jacobian_product_norms(x, w8, v, "tanh")
ok = torch.allclose(fast, by_autograd, rtol=1e-10, atol=0) and torch.allclose(
    lib, by_autograd, rtol=1e-10, atol=0)
print(f"{'✔' if ok else '✘'} log-space recursion and library Jacobian product vs autograd: "
      f"max relative difference {((fast - by_autograd).abs() / by_autograd).max():.2g}")
assert ok

# %% [markdown]
# ## 3. The linear case, exactly
#
# Take `f` linear, so `J_k = W_hh` for every `k` and `∂L/∂h_t = (W_hhᵀ)^{T−t} v`. If `W_hh` is
# `ρ` times an orthogonal matrix, every singular value of every power is `ρ^{T−t}`, so
#
# $$\|\partial L/\partial h_t\| = \rho^{\,T-t}, \qquad
#   \log_{10}\|\partial L/\partial h_t\| = (T-t)\log_{10}\rho .$$
#
# On a log scale that is a straight line with slope `log10 ρ` per step back in time.

# %%
T_lin = 100
rows = []
for rho in (0.5, 0.9, 1.0, 1.1, 1.5):
    w = G.random_rnn(4, 64, rho, "orthogonal")
    logs = G.log_grad_norms(G.random_inputs(T_lin, 4), w, G.readout(64), "linear").log_norms
    slope = (logs[0] - logs[-1]) / (T_lin - 1)
    rows.append((rho, slope, math.log10(rho), logs[0]))
    assert abs(slope - math.log10(rho)) < 1e-9
print(f"linear RNN, orthogonal W_hh, T = {T_lin}")
print(" rho   measured slope   log10(rho)   ||dL/dh_1|| (log10)")
for rho, slope, pred, first in rows:
    print(f"{rho:4.1f}   {slope:+.6f}       {pred:+.6f}     {first:+8.2f}")
rho_half_first = rows[0][3]

# %%
display(Markdown(
    f"At ρ = 0.5 the gradient reaching step 1 of {T_lin} is 10^{rho_half_first:.1f}: below "
    f"float32's smallest normal number, 10^{math.log10(torch.finfo(torch.float32).tiny):.1f}. At "
    f"ρ = 1.5 it is 10^{rows[-1][3]:.1f}. Only ρ = 1 keeps it the same size."))

# %% [markdown]
# ## 4. Widget: the gradient norm over time steps
#
# Move the controls and watch `log10 ||∂L/∂h_t||` against `t`. Each update runs a fresh forward
# pass and the backward recursion (a few milliseconds for the vanilla RNN). What is drawn:
#
# - **measured**: ||∂L/∂h_t||, before clipping;
# - **ρ^(T−t)** (linear RNN only): the prediction of section 3. Exact for orthogonal and identity
#   `W_hh`; for a Gaussian `W_hh` (not orthogonal) only the slope is predicted, far from `T`;
# - **bound (σ_max)^(T−t)**: the guarantee of section 5 (vanilla RNN);
# - **after clipping**: the same gradients once the parameter gradient is clipped to the chosen
#   norm. Clipping multiplies every time step by the same factor;
# - **vanilla RNN, same settings** (LSTM and GRU only): the vanilla RNN with the chosen `f`,
#   for comparison.
#
# The LSTM and GRU are the course's own untrained layers (`rnnlab.gated`, lesson 05), with
# every recurrent weight block given the chosen spectral radius and initialisation. Their
# gradients come from a hand-written backward pass in the same log-space form, checked against
# autograd on the `hidden_states` the layers keep (the cell after the widget).

# %%
GradientNormExplorer(cell="RNN", rho=(1.0, 0.1, 2.0, 0.05), T=(100, 10, 1000, 10))

# %%
checks = []
for cell in ("LSTM", "GRU"):
    layer = G.gated_layer(cell, 4, 32, rho=1.0, init="gaussian")
    xg, vg = G.random_inputs(60, 4), G.readout(32)
    auto, _ = G.gated_autograd_norms(layer, xg, vg)
    fast = torch.from_numpy(10 ** G.gated_log_grad_norms(layer, xg, vg).log_norms)
    checks.append((cell, torch.allclose(fast, auto, rtol=1e-10, atol=0),
                   ((fast - auto).abs() / auto).max().item()))
for cell, ok, rel in checks:
    print(f"{'✔' if ok else '✘'} {cell}: hand-written backward vs autograd on rnnlab.gated.{cell}, "
          f"max relative difference {rel:.2g}")
assert all(ok for _, ok, _ in checks)

# %% [markdown]
# Things to try: linear, ρ = 0.9, then 1.1 (a small change in ρ; compare the ratios in the title);
# tanh with ρ = 2 (it does not explode like the linear net: why? section 5); ReLU with identity
# initialisation at ρ = 1; clipping at ρ = 1.5 (the curve moves down, its slope does not change).

# %% [markdown]
# ## 5. Why it happens
#
# **A bound.** The norm of a product is at most the product of the norms, and
# `||diag(f'(a_k))|| = max_i |f'(a_k)[i]| ≤ γ`, with `γ = 1` for tanh, ReLU and linear units
# (`γ = 1/4` for the sigmoid). So (Pascanu, Mikolov and Bengio, 2013)
#
# $$\Big\|\prod_{k=t+1}^{T} J_k\Big\| \le (\gamma\,\sigma_{\max})^{T-t},$$
#
# where `σ_max` is the largest *singular value* of `W_hh`. If `γ σ_max < 1` the gradient **must**
# vanish. `γ σ_max > 1` is only *necessary* for explosion, not sufficient. Note the bound uses
# `σ_max`, not the spectral radius `ρ` (the largest |eigenvalue|): `σ_max ≥ ρ`, and for a
# Gaussian matrix `σ_max` is well above `ρ` (the cell below prints both). The spectral radius
# governs the rate of a long product; the singular value bounds every single step.

# %%
Tb, Hb = 80, 32
xb = G.random_inputs(Tb, 4)
wb = G.random_rnn(4, Hb, 1.5, "gaussian")
vb = G.readout(Hb)
_, pre_b = G.rnn_states(xb, wb, "tanh")
products = G.jacobian_products(wb.W_hh, pre_b, "tanh")
prod_norms = np.array([float(torch.linalg.matrix_norm(P, ord=2)) for P in products])
grad_norms_b = G.jacobian_product_norms(xb, wb, vb, "tanh").numpy()
sigma_max = G.largest_singular_value(wb.W_hh)
k_back = np.arange(Tb - 1, -1, -1)
bound_b = sigma_max ** k_back.astype(float)
assert np.all(prod_norms <= bound_b * (1 + 1e-9)) and np.all(grad_norms_b <= prod_norms + 1e-12)

fig_b, ax_b = figure(figsize=(6.4, 3.2))
ts = np.arange(1, Tb + 1)
ax_b.semilogy(ts, bound_b, "-.", color="tab:red",
              label=f"bound σ_max^(T−t), σ_max = {sigma_max:.2f}")
ax_b.semilogy(ts, prod_norms, color="tab:purple", label="||∏ J_k|| (spectral norm)")
ax_b.semilogy(ts, grad_norms_b, color="tab:blue", label="||∂L/∂h_t||")
ax_b.set_xlabel("time step t")
ax_b.set_title(f"tanh RNN, Gaussian W_hh with ρ = 1.5, T = {Tb}", fontsize=9)
ax_b.legend(fontsize=8)
fig_b.canvas.draw_idle()
print(f"spectral radius 1.5, largest singular value {sigma_max:.2f}; "
      f"at t = 1: bound 10^{math.log10(bound_b[0]):.1f}, "
      f"product 10^{math.log10(prod_norms[0]):.1f}, "
      f"gradient 10^{math.log10(grad_norms_b[0]):.1f}")
fig_b.canvas

# %% [markdown]
# The bound is true and, for tanh, very loose: with ρ = 1.5 the gradient still vanishes. The
# reason is the other factor, `f'(a_k)`. **Saturation:** as the weights grow, the
# pre-activations grow, `tanh` flattens out, and `f'(a) = 1 − tanh(a)²` collapses towards 0.
# Below, the same tanh RNN with `W_hh` scaled to several spectral radii, run for 200 steps: the
# distribution of all `f'(a_k)[i]`, and the measured rate at which the gradient shrinks.

# %%
Ts = 200
xs = G.random_inputs(Ts, 4)
fig_s, ax_s = figure(figsize=(6.4, 3.0))
sat_rows = []
for rho in (0.5, 1.0, 1.5, 2.0, 4.0):
    ws = G.random_rnn(4, 64, rho, "gaussian")
    _, pre_s = G.rnn_states(xs, ws, "tanh")
    fprime = (1 - torch.tanh(torch.stack(pre_s)) ** 2).flatten().numpy()
    logs = G.log_grad_norms(xs, ws, G.readout(64), "tanh").log_norms
    rate = (logs[0] - logs[-1]) / (Ts - 1)
    sat_rows.append((rho, fprime.mean(), (fprime < 0.05).mean(), rate))
    ax_s.hist(fprime, bins=40, range=(0, 1), histtype="step", lw=1.5, label=f"ρ = {rho}")
ax_s.set_xlabel("f'(a) = 1 − tanh(a)²")
ax_s.set_ylabel("count")
ax_s.legend(fontsize=8)
fig_s.canvas.draw_idle()
print(" rho   mean f'(a)   share with f'(a) < 0.05   log10 change of ||dL/dh_t|| per step back")
print("                                                tanh (measured)   linear, orthogonal")
for rho, mean_fp, sat, rate in sat_rows:
    print(f"{rho:4.1f}   {mean_fp:8.3f}   {sat:14.1%}              {rate:+.3f}            "
          f"{math.log10(rho):+.3f}")
fig_s.canvas

# %%
by_rho = {row[0]: row for row in sat_rows}
assert by_rho[1.5][3] < 0 and by_rho[2.0][3] < 0 < by_rho[4.0][3]  # what the text below says
display(Markdown(
    f"As ρ goes from 0.5 to 4, the mean of f'(a) falls from {by_rho[0.5][1]:.2f} to "
    f"{by_rho[4.0][1]:.2f} and the share of saturated units (f' < 0.05) rises from "
    f"{by_rho[0.5][2]:.0%} to {by_rho[4.0][2]:.0%}. Saturation is a brake: at ρ = 1.5 and 2, "
    f"where a linear network's gradient grows by 10^{math.log10(1.5):+.3f} and "
    f"10^{math.log10(2):+.3f} per step, the tanh network's changes by "
    f"10^{by_rho[1.5][3]:+.3f} and 10^{by_rho[2.0][3]:+.3f}. Only with much larger weights does "
    f"it grow: 10^{by_rho[4.0][3]:+.3f} per step at ρ = 4, against 10^{math.log10(4):+.3f} for "
    f"the linear network. A ReLU network has no such brake: f' is 0 or 1."))

# %% [markdown]
# ## 6. Widget: gradients during training
#
# The widget above looked at *untrained* networks. Does training change the picture? We train a
# vanilla tanh RNN and an LSTM (both the course's from-scratch layers, 32 hidden units, Adam,
# learning rate 0.01, gradients clipped at 1) on the **adding problem** with `T = 20` steps:
# each step carries a random value and a marker; two steps are marked, one in each half; the
# target is the sum of the two marked values. Predicting the constant 1 gives MSE 1/6 ≈ 0.167:
# any model that does better must carry information across up to 19 steps.
#
# Every 10 training steps we record ||∂L/∂h_t|| for every `t` (norm over the batch of 32), read
# from the same backward pass that trains the model (`retain_grad`). The cell below trains both
# models (the longest cell of the lesson); the widget then only looks things up.

# %%
T_add, hidden_add, steps_add, every_add = 20, 32, 300, 10
eval_add = adding_problem(1000, T_add, torch.Generator().manual_seed(123))
runs = {}
for cell in ("RNN", "LSTM"):
    torch.manual_seed(0)
    data_gen = torch.Generator().manual_seed(0)  # both models see the same batches
    model = G.SequenceRegressor(cell, 2, hidden_add)
    runs[cell] = G.train_recording(model, lambda s, g=data_gen: adding_problem(32, T_add, g),
                                   steps_add, lr=1e-2, every=every_add, clip=1.0,
                                   eval_data=eval_add)
    r = runs[cell]
    print(f"{cell:4s}: held-out MSE {r['eval'][0]:.3f} -> {r['eval'][-1]:.4f} after {steps_add} "
          f"steps ({r['seconds']:.1f} s); log10 ||dL/dh_1|| {r['heat'][0, 0]:+.1f} -> "
          f"{r['heat'][-1, 0]:+.1f}")

# %%
TrainingGradientsExplorer(runs, baseline=ADDING_BASELINE_MSE)

# %%
rnn_first = runs["RNN"]["heat"][:, 0]
lstm_first = runs["LSTM"]["heat"][:, 0]
# What the text below says, checked:
assert runs["LSTM"]["eval"][-1] < 0.1 * ADDING_BASELINE_MSE < runs["RNN"]["eval"][-1]
assert lstm_first[-1] - lstm_first[0] > 2 and lstm_first[-1] > rnn_first[-1]
display(Markdown(
    f"After {steps_add} steps the LSTM's held-out MSE is {runs['LSTM']['eval'][-1]:.4f} and the "
    f"vanilla RNN's is {runs['RNN']['eval'][-1]:.4f} (baseline {ADDING_BASELINE_MSE:.3f}). At "
    f"the start both pass a gradient of about 10^{rnn_first[0]:.1f} (RNN) and "
    f"10^{lstm_first[0]:.1f} (LSTM) back to step 1. By the end the LSTM's has grown to "
    f"10^{lstm_first[-1]:.1f}, while the RNN's is 10^{rnn_first[-1]:.1f}: the LSTM learned to "
    f"keep a path open to the early steps, and its loss fell when it did. Gating is not magic at "
    f"initialisation; it makes an open path *learnable*."))

# %% [markdown]
# ## 7. Exploding gradients and clipping
#
# Now the opposite failure. A tanh RNN with a Gaussian `W_hh` of spectral radius 3, trained on
# the same adding problem with plain SGD (learning rate 0.1), twice: without clipping, and with
# `clip_grad_norm_(params, 1.0)`, which rescales the whole gradient to norm 1 whenever it is
# larger. (`rnnlab.train.fit` stops when the loss stops being finite.)

# %%
clip_runs = {}
for clip in (None, 1.0):
    torch.manual_seed(0)
    model = G.SequenceRegressor("RNN", 2, 32, impl="torch")
    with torch.no_grad():
        model.rnn.weight_hh_l0.copy_(
            G.recurrent_matrix(32, 3.0, "gaussian", torch.Generator().manual_seed(0),
                               torch.float32))
    data_gen = torch.Generator().manual_seed(0)
    clip_runs[clip] = fit(model, lambda s, g=data_gen: adding_problem(32, T_add, g),
                          lambda m, xb, yb: nn.functional.mse_loss(m(xb), yb), steps=200,
                          lr=0.1, optimizer="sgd", clip=clip, progress=False, device="cpu")
for clip, hist in clip_runs.items():
    finite = [v for v in hist["loss"] if math.isfinite(v)]
    print(f"clip={clip}: {len(hist['loss'])} steps, largest gradient norm "
          f"{max(hist['grad_norm']):.3g}, largest finite loss {max(finite):.3g}, "
          f"last loss {hist['loss'][-1]:.3g}")
no_clip, with_clip = clip_runs[None], clip_runs[1.0]
assert not math.isfinite(no_clip["loss"][-1]) and math.isfinite(with_clip["loss"][-1])

# %%
ClippingExplorer(clip_runs)

# %% [markdown]
# Clipping rescales the gradient *vector*; it keeps its direction. It is a remedy for
# explosion, and only for explosion: it multiplies every ||∂L/∂h_t|| by the same factor, so it
# cannot give early time steps a larger share. The widget of section 4 shows it (the dashed line
# is parallel to the measured one); here is the number:

# %%
p_raw = G.profile("RNN", 100, 64, 1.5, "linear", "orthogonal", clip=None)
p_clip = G.profile("RNN", 100, 64, 1.5, "linear", "orthogonal", clip=1.0)
ratio_clip = p_clip.log_clipped[0] - p_clip.log_clipped[-1]
print(f"log10 of ||dL/dh_1|| / ||dL/dh_T||: without clipping {p_raw.log_ratio:.6f}, "
      f"after clipping {ratio_clip:.6f}")
assert abs(p_raw.log_ratio - ratio_clip) < 1e-9

# %% [markdown]
# ## 8. The adding problem at full length
#
# Section 6 used `T = 20` so that it trains in seconds. The classic result is at `T` in the
# hundreds, where runs take minutes: too long for a lesson. The script
# `benchmarks/adding_problem.py` (run `python benchmarks/adding_problem.py --help`) trained
# PyTorch's tanh `nn.RNN`, `nn.LSTM` and `nn.GRU` (the same functions as the course's layers,
# faster) at `T` = 50, 100 and 200 and saved what happened. These numbers are **loaded from that
# file, not computed in this notebook**. Seconds are wall-clock time on the machine that ran the
# script, which was busy with other work: compare steps, not seconds.

# %%
results_path = Path(G.__file__).resolve().parent.parent / "benchmarks" / "results" / \
    "adding_problem.json"
saved = json.loads(results_path.read_text(encoding="utf-8"))
s = saved["settings"]
print(f"from {results_path.name}: written {saved['date']} with torch {saved['torch']} on "
      f"{saved['cpu_count']} CPU cores; hidden {s['hidden']}, batch {s['batch']}, Adam lr "
      f"{s['lr']}, clip {s['clip']}; a run stops when held-out MSE < {s['solved']} (solved), or "
      f"at its step or time budget")
for line in saved.get("merged", []):
    print(f"  rerun with a larger budget: {line}")
print("   T  model   steps  seconds   budget (steps, s)  final MSE  best MSE  outcome")
for r in saved["runs"]:
    outcome = (f"solved at step {r['solved_at_step']}" if r["solved"]
               else f"not solved ({r['stopped_because']})")
    budget = f"{r.get('step_budget', s['steps'])}, {r.get('seconds_budget', s['seconds']):.0f}"
    print(f"{r['length']:4d}  {r['model']:5s} {r['steps']:6d} {r['seconds']:8.0f}   "
          f"{budget:>16s}  {r['final_mse']:9.4f} {r['best_mse']:9.4f}  {outcome}")

# %%
fig_a, ax_a = figure(figsize=(7.5, 3.0))
styles = {"rnn": "tab:orange", "lstm": "tab:blue", "gru": "tab:green"}
dashes = {50: ":", 100: "--", 200: "-"}
for r in saved["runs"]:
    ax_a.semilogy(r["curve_step"], r["curve_mse"], color=styles[r["model"]],
                  ls=dashes.get(r["length"], "-"), label=f"{r['model']} T={r['length']}")
ax_a.axhline(saved["baseline_mse"], color="grey", lw=1, label="baseline 1/6")
ax_a.set_xlabel("training step")
ax_a.set_ylabel("held-out MSE (saved run)")
ax_a.legend(fontsize=7, ncol=2)
fig_a.canvas.draw_idle()
fig_a.canvas

# %%
def outcome(model, length):
    for r in saved["runs"]:
        if r["model"] == model and r["length"] == length:
            return r
    return None


lines = []
for length in sorted({r["length"] for r in saved["runs"]}):
    parts = []
    for model in ("rnn", "lstm", "gru"):
        r = outcome(model, length)
        if r is not None:
            result = (f"solved it in {r['solved_at_step']} steps" if r["solved"]
                      else f"ended at MSE {r['final_mse']:.3f} after {r['steps']} steps")
            parts.append(f"{model.upper()} {result}")
    lines.append(f"- T = {length}: " + "; ".join(parts) + ".")
display(Markdown("In the saved runs:\n" + "\n".join(lines) + "\n\nA run that ended at its "
                 "step or time budget is *not solved within that budget*; it says nothing about "
                 "what a longer run would do."))

# %% [markdown]
# ## 9. Remedies, measured
#
# Each remedy below is tried on the same `T = 20` adding problem as section 6 (300 Adam steps,
# learning rate 0.01, PyTorch's fused layers for speed), with its effect on the gradient at
# initialisation: log10 of ||∂L/∂h_1|| / ||∂L/∂h_T|| at `T = 100` from `G.profile`.
#
# - **Orthogonal initialisation** of `W_hh` (every singular value equal to ρ = 1): no direction
#   is shrunk by the matrix, only by `f'`.
# - **Identity initialisation with ReLU** (the IRNN of Le, Jaitly and Hinton, 2015): at first
#   the state is copied forward, and `f' = 1` wherever a unit is on.
# - **Truncation** (truncated BPTT): backpropagate through at most `k` steps. It bounds the cost
#   and the length of every product, so nothing can explode over more than `k` steps; it also
#   cuts every longer path. Here an LSTM with `k = 5`.
# - **Gating**: the LSTM and GRU; full BPTT.
# - **Clipping** was measured in section 7: the run that diverged without it trained with it,
#   and the ratio of early to late gradients did not change.

# %%
def train_fast(cell, nonlinearity="tanh", init=None, truncate=None, steps=300, seed=0):
    """Train a fused PyTorch layer on the T = 20 adding problem; returns held-out MSE, seconds."""
    torch.manual_seed(seed)
    kw = {"nonlinearity": nonlinearity} if cell == "RNN" else {}
    model = G.SequenceRegressor(cell, 2, hidden_add, impl="torch", **kw)
    if init is not None:
        with torch.no_grad():
            model.rnn.weight_hh_l0.copy_(G.recurrent_matrix(
                hidden_add, 1.0, init, torch.Generator().manual_seed(seed), torch.float32))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    data_gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(steps):
        xb, yb = adding_problem(32, T_add, data_gen)
        if truncate is None:
            out_, _ = model.rnn(xb)
        else:  # run in chunks of `truncate` steps; detach the state between chunks
            state = None
            for c0 in range(0, T_add, truncate):
                if state is not None:
                    state = tuple(s_.detach() for s_ in state) if isinstance(state, tuple) \
                        else state.detach()
                out_, state = model.rnn(xb[:, c0:c0 + truncate], state)
        loss = nn.functional.mse_loss(model.out(out_[:, -1]), yb)
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    with torch.no_grad():
        mse = nn.functional.mse_loss(model(eval_add[0]), eval_add[1]).item()
    return mse, time.perf_counter() - start


rho_default = G.spectral_radius(nn.RNN(2, hidden_add).weight_hh_l0.detach())
print(f"PyTorch's default W_hh (uniform in ±1/sqrt({hidden_add})) has spectral radius "
      f"{rho_default:.2f} here; the last column uses Gaussian recurrent blocks with that radius "
      f"for the default rows")
# (training settings, (cell, f, init of W_hh, spectral radius) for the gradient at initialisation)
remedies = [
    ("tanh RNN, PyTorch's default init", dict(cell="RNN"),
     ("RNN", "tanh", "gaussian", rho_default)),
    ("tanh RNN, orthogonal W_hh (ρ = 1)", dict(cell="RNN", init="orthogonal"),
     ("RNN", "tanh", "orthogonal", 1.0)),
    ("IRNN: ReLU, identity W_hh", dict(cell="RNN", nonlinearity="relu", init="identity"),
     ("RNN", "relu", "identity", 1.0)),
    ("LSTM", dict(cell="LSTM"), ("LSTM", "tanh", "gaussian", rho_default)),
    ("GRU", dict(cell="GRU"), ("GRU", "tanh", "gaussian", rho_default)),
    ("LSTM, truncated BPTT k = 5", dict(cell="LSTM", truncate=5), None),
]
print(f"adding problem T = {T_add}, 300 steps; baseline MSE {ADDING_BASELINE_MSE:.3f}")
print(f"{'remedy':36s} {'held-out MSE':>12s} {'seconds':>8s}   log10 grad ratio at T=100")
remedy_mse = {}
for name, kw, prof in remedies:
    mse, secs = train_fast(**kw)
    remedy_mse[name] = mse
    ratio = "exactly 0 beyond k steps"
    if prof is not None:
        cell_p, f_p, init_p, rho_p = prof
        ratio = f"{G.profile(cell_p, 100, hidden_add, rho_p, f_p, init_p).log_ratio:+.1f}"
    print(f"{name:36s} {mse:12.4f} {secs:8.1f}   {ratio}")

# %% [markdown]
# With truncation the gradient of the loss with respect to the early states is not small but
# **exactly zero**:

# %%
k_trunc = 5
rnn_t = RNN(2, 8, dtype=torch.float64)
xt_, _ = adding_problem(1, T_add, torch.Generator().manual_seed(1), dtype=torch.float64)
h_state = None
kept = []
for c0 in range(0, T_add, k_trunc):
    if h_state is not None:
        h_state = h_state.detach().requires_grad_()  # the truncation point
    out_t, h_state = rnn_t(xt_[:, c0:c0 + k_trunc].transpose(0, 1), h_state)
    kept.extend(rnn_t.hidden_states[0])
trunc_norms = G.autograd_grad_norms(out_t[-1].sum(), kept)
n_zero = int((trunc_norms == 0).sum())
print(f"truncated BPTT, k = {k_trunc}, T = {T_add}: ||dL/dh_t|| is exactly 0 for {n_zero} of "
      f"{T_add} steps (t = 1..{n_zero}); nonzero for the last {T_add - n_zero}")
assert n_zero == T_add - k_trunc

# %%
best = min(remedy_mse, key=remedy_mse.get)
display(Markdown(
    f"On this short task: the default tanh RNN reached MSE "
    f"{remedy_mse['tanh RNN, PyTorch' + chr(39) + 's default init']:.4f}, orthogonal "
    f"initialisation {remedy_mse['tanh RNN, orthogonal W_hh (ρ = 1)']:.4f}, the IRNN "
    f"{remedy_mse['IRNN: ReLU, identity W_hh']:.4f}, the LSTM {remedy_mse['LSTM']:.4f}, the GRU "
    f"{remedy_mse['GRU']:.4f}, and the LSTM with BPTT truncated to 5 steps "
    f"{remedy_mse['LSTM, truncated BPTT k = 5']:.4f} (baseline {ADDING_BASELINE_MSE:.3f}). "
    f"Best here: {best}. One seed and 300 steps: treat small differences as noise, large ones "
    f"(a factor of ten) as real.\n\n"
    f"Look at the truncated LSTM: it beat the baseline although, as the cell above counted, its "
    f"loss sends exactly zero gradient to {n_zero} of the {T_add} steps, including wherever the "
    f"first marker is. The weights are shared across time, so a rule learnt from the last "
    f"{k_trunc} steps (add a marked value to a running sum in the cell state, and keep it) can "
    f"also run over all {T_add}: the only way it can use the first marker. Truncation removes "
    f"the *direct* training signal from early steps; a dependency that cannot be built from "
    f"short pieces is lost, one that can may survive. "
    f"Lesson 05 opens the LSTM to see why its gradient path can stay open."))

# %% [markdown]
# ## 10. Pitfalls
#
# - *"The spectral radius is the factor per step."* Only in the long run, and exactly only for
#   normal matrices (orthogonal, identity). For a Gaussian `W_hh` one step can stretch a vector
#   by up to `σ_max` (section 5 printed σ_max against ρ = 1.5) or shrink it a lot, and
#   the measured slope near `t = T` differs from `log10 ρ` (the cell below).
# - *"A spectral radius above 1 means exploding gradients."* For a linear (or ReLU) network,
#   in the long run, yes. For tanh, saturation takes back part of the growth: in section 5's
#   table the gradient still shrank at ρ = 1.5 and 2.
# - *"Clipping fixes vanishing gradients."* It rescales the whole gradient by one factor
#   (section 7 measured an unchanged ratio).
# - *"With truncated BPTT the model cannot learn anything longer than `k` steps."* The gradient
#   to earlier steps is exactly zero, yet section 9's truncated LSTM beat the baseline: shared
#   weights carry a rule learnt on short spans to long ones.
# - *"LSTMs do not have vanishing gradients."* An untrained LSTM's gradient to step 1 was tiny
#   (section 6, training step 0); training opens the path.

# %%
p_g = G.profile("RNN", 300, 64, 0.9, "linear", "gaussian")
near = (p_g.log_norms[-11] - p_g.log_norms[-1]) / 10
far = (p_g.log_norms[0] - p_g.log_norms[100]) / 100
print(f"linear RNN, Gaussian W_hh, ρ = 0.9: slope over the last 10 steps {near:+.3f}, over "
      f"steps 1..101 {far:+.3f}, log10 ρ = {math.log10(0.9):+.3f}")

# %% [markdown]
# ## 11. Quiz

# %%
quiz.show("linear-slope")

# %%
quiz.show("bound")

# %%
quiz.show("clipping")

# %%
quiz.show("keeps-norm")

# %%
quiz.show("tanh-prime")

# %%
quiz.show("truncation")

# %%
quiz.show("radius-vs-norm")

# %%
quiz.show("gating")

# %%
quiz.score()

# %% [markdown]
# ## 12. Exercises
#
# ### Exercise 1: a product of Jacobians
# Write `jacobian_product(W_hh, pre)` for a tanh RNN: `pre` is `(K, H)`, the pre-activations
# `a_1 .. a_K` in time order; return the `(H, H)` matrix `J_K ⋯ J_2 J_1` with
# `J_k = diag(1 − tanh(a_k)²) W_hh` (later steps on the left, as in `∂h_K/∂h_0`). With `K = 0`
# return the identity.

# %%
def jacobian_product(W_hh, pre):
    ### BEGIN SOLUTION
    P = torch.eye(W_hh.shape[0], dtype=W_hh.dtype)
    for a in pre:
        P = ((1 - torch.tanh(a) ** 2)[:, None] * W_hh) @ P
    return P
    ### END SOLUTION


# %%
check("l04.jacobian_product", jacobian_product)

# %% [markdown]
# ### Exercise 2: gradient norms by a backward recursion
# Write `grad_norms(W_hh, pre, v)`: `pre` is `(T, H)` (`a_1 .. a_T`), `v` is `(H,)`; for the
# loss `L = v · h_T` of a tanh RNN return the `(T,)` tensor of ||∂L/∂h_t||, `t = 1..T`. Start
# from `g_T = v` and step back with `g_{t−1} = W_hhᵀ ((1 − tanh(a_t)²) ⊙ g_t)`. No matrix
# products of Jacobians needed: this is the recursion the widget uses.

# %%
def grad_norms(W_hh, pre, v):
    ### BEGIN SOLUTION
    g = v
    norms = [g.norm()]
    for t in range(pre.shape[0] - 1, 0, -1):
        g = W_hh.T @ ((1 - torch.tanh(pre[t]) ** 2) * g)
        norms.append(g.norm())
    return torch.stack(norms[::-1])
    ### END SOLUTION


# %%
check("l04.grad_norms", grad_norms)

# %% [markdown]
# ### Exercise 3: predict the slope
# Write `log10_ratio(rho, T)`: for a linear RNN whose `W_hh` is `rho` times an orthogonal
# matrix, return log10 of ||∂L/∂h_1|| / ||∂L/∂h_T|| as a Python float.

# %%
def log10_ratio(rho, T):
    ### BEGIN SOLUTION
    return (T - 1) * math.log10(rho)
    ### END SOLUTION


# %%
check("l04.log10_ratio", log10_ratio)

# %% [markdown]
# ## 13. Summary
#
# - The gradient reaching `h_t` is a product of `T − t` Jacobians `diag(f'(a_k)) W_hh`; we
#   computed it three ways and they agree to rounding.
# - Linear and orthogonal: exactly `ρ^{T−t}`. In general `(γ σ_max)^{T−t}` bounds it, and `f'`
#   (saturation) makes tanh gradients vanish even when the weights are large.
# - Exploding gradients are cured by clipping; vanishing ones are not. Orthogonal or identity
#   initialisation, and above all gating, keep a path open; truncation cuts long paths outright.
#
# **Next:** lesson 05 builds the LSTM, whose cell state is that open path.

# %%
print(f"lesson 04 ran in {time.perf_counter() - LESSON_START:.0f} s (after imports)")
