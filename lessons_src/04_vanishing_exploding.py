# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea
#
# A vanilla RNN computes `a_t = W_ih x_t + W_hh h_{t-1} + b` and `h_t = f(a_t)`. Lesson 03
# showed that the gradient of a loss `L` flows backwards through every step; with the loss on the
# last state only, the chain rule gives
#
# $$\frac{\partial L}{\partial h_t}
#   = \Big(\prod_{s=t+1}^{T} J_s\Big)^{\!\top} \frac{\partial L}{\partial h_T},
# \qquad J_s = \frac{\partial h_s}{\partial h_{s-1}}
#   = \operatorname{diag}\big(f'(a_s)\big)\, W_{hh}.$$
#
# A product of `T − t` matrices behaves like a power: if every `J_s` shrinks vectors, the
# gradient reaching early steps shrinks geometrically (it **vanishes**); if they stretch vectors,
# it grows geometrically (it **explodes**). Early inputs then either stop influencing learning, or
# make single updates so large that training diverges. This lesson computes the product, watches
# it, and measures what helps.
#
# Throughout, the loss is `L = v · h_T` for a fixed random unit vector `v`, so `∂L/∂h_T = v` and
# every curve starts at 1 at `t = T`. Names mirror the maths: `W_hh`, `W_ih`, `a` for
# pre-activations, `J` for a Jacobian, `P` for a product of Jacobians, `s` for the step a
# Jacobian belongs to (`k` is kept for the truncation length, as in lesson 03).
#
# **A change of convention.** Lessons 02 and 03 called the input weights `W_xh`; from here on
# they are `W_ih`, PyTorch's name (`weight_ih_l0`): the same matrix, `(hidden, input)`. And this
# lesson follows one sequence, so its vectors are columns and a step reads `W_hh @ h`; lessons
# 02 and 03 stacked a batch in rows and wrote `h @ W_hh.T`, the same product transposed (the
# start page's notation table has both).

# %% slideshow={"slide_type": "skip"}
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
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.data import ADDING_BASELINE_MSE, ADDING_ONE_MARKER_MSE, adding_problem
from rnnlab.explorers import ClippingExplorer, GradientNormExplorer, TrainingGradientsExplorer
from rnnlab.models import RNN
from rnnlab.quiz import Quiz
from rnnlab.train import fit, seed_everything
from rnnlab.widgets import figure

quiz = Quiz("l04")
gen = seed_everything(0)  # also sets one CPU thread: faster for models this small
LESSON_START = time.perf_counter()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The product of Jacobians, from scratch
#
# One step's Jacobian is `diag(f'(a_s)) W_hh`: row `i` of `W_hh` scaled by `f'(a_s)[i]`. For
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
    """dh_s/dh_{s-1} = diag(f'(a_s)) W_hh for tanh: (H, H)."""
    return (1 - torch.tanh(a) ** 2)[:, None] * W_hh


# dL/dh_t = P_t^T v with P_t = J_T J_{T-1} ... J_{t+1}; P_T is the identity.
P = torch.eye(H, dtype=torch.float64)
by_jacobians = [v.norm()]
for s in range(T - 1, 0, -1):  # multiply in J_{s+1} (a_{s+1} is pre[s]) to get P_s
    P = P @ step_jacobian(W_hh, pre[s])
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. The linear case, exactly
#
# Take `f` linear, so `J_s = W_hh` for every `s` and `∂L/∂h_t = (W_hhᵀ)^{T−t} v`. If `W_hh` is
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
f32 = torch.finfo(torch.float32)
log_tiny, log_eps = math.log10(f32.tiny), math.log10(f32.eps)
side = "above" if rho_half_first > log_tiny else "below"
assert side == "above"  # 10^-29.8 is a representable float32; the sentence below says so
assert rho_half_first < log_eps  # ... but far below float32's relative precision
steps_to_tiny = next(n for n in range(2, 1000) if 0.5 ** (n - 1) < f32.tiny)  # first such T
display(Markdown(
    f"At ρ = 0.5 the gradient reaching step 1 of {T_lin} is 10^{rho_half_first:.1f}: still "
    f"{side} float32's smallest normal number, 10^{log_tiny:.1f}, so float32 can hold it. It is "
    f"lost another way: float32 keeps about 7 digits (machine epsilon 10^{log_eps:.1f}), so "
    f"added to the order-1 gradient of the last step it changes nothing. From T = "
    f"{steps_to_tiny} on it also falls below float32's normal range. At ρ = 1.5 it is "
    f"10^{rows[-1][3]:.1f}. Only ρ = 1 keeps it the same size."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Widget: the gradient norm over time steps
#
# Move the controls and watch `log10 ||∂L/∂h_t||` against `t`. Each update runs a fresh forward
# pass and the backward recursion (a few milliseconds for the vanilla RNN). What is drawn:
#
# - **measured**: ||∂L/∂h_t||, before clipping;
# - **ρ^(T−t)** (linear RNN only): the prediction of section 3. Exact for orthogonal and identity
#   `W_hh`; for a Gaussian `W_hh` (not orthogonal) only the slope is predicted, far from `T`;
# - **bound (σ_max)^(T−t)**: the guarantee of section 5 (vanilla RNN);
# - **after clipping**: ||∂L/∂h_t|| times the factor by which clipping to the chosen norm scales
#   the *parameter* gradient. Clipping never changes ∂L/∂h_t itself (it runs after the backward
#   pass); this line shows how much each step's contribution to the update shrinks, and it is
#   the same factor for every step (section 7);
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Why it happens
#
# **A bound.** The norm of a product is at most the product of the norms, and
# `||diag(f'(a_s))|| = max_i |f'(a_s)[i]| ≤ γ`, with `γ = 1` for tanh, ReLU and linear units
# (`γ = 1/4` for the sigmoid). So (Pascanu, Mikolov and Bengio, 2013)
#
# $$\Big\|\prod_{s=t+1}^{T} J_s\Big\| \le (\gamma\,\sigma_{\max})^{T-t},$$
#
# where `σ_max` is the largest *singular value* of `W_hh`. If `γ σ_max < 1` the gradient **must**
# vanish. `γ σ_max > 1` is only *necessary* for explosion, not sufficient. Note the bound uses
# `σ_max`, not the spectral radius `ρ` (the largest |eigenvalue|): `σ_max ≥ ρ`, and for a
# Gaussian matrix `σ_max` is well above `ρ` (the cell below prints both). For a *linear* network
# every Jacobian is the same matrix `W_hh`, and the rate of a long power is its spectral radius
# (Gelfand's formula, `||W^n||^{1/n} → ρ`): section 3 measured it. With a non-linearity the
# Jacobians `diag(f'(a_s)) W_hh` change from step to step, and the rate is that of their product,
# `f'` included: `ρ` alone does not set it (the rest of this section measures how far off it is).
# The singular value bounds every single step either way.

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
steps_back = np.arange(Tb - 1, -1, -1)
bound_b = sigma_max ** steps_back.astype(float)
assert np.all(prod_norms <= bound_b * (1 + 1e-9)) and np.all(grad_norms_b <= prod_norms + 1e-12)

fig_b, ax_b = figure(figsize=(6.4, 3.2))
ts = np.arange(1, Tb + 1)
ax_b.semilogy(ts, bound_b, "-.", color="tab:red",
              label=f"bound σ_max^(T−t), σ_max = {sigma_max:.2f}")
ax_b.semilogy(ts, prod_norms, color="tab:purple", label="||∏ J_s|| (spectral norm)")
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
# reason is the other factor, `f'(a_s)`. **Saturation:** as the weights grow, the
# pre-activations grow, `tanh` flattens out, and `f'(a) = 1 − tanh(a)²` collapses towards 0.
# Below, the same tanh RNN with `W_hh` scaled to several spectral radii, run for 200 steps: the
# distribution of all `f'(a_s)[i]`, and the measured rate at which the gradient shrinks.

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
    f"the linear network. Saturation slows the growth; it does not stop it."))

# %% [markdown]
# **The growth rate against ρ, for three non-linearities.** The same measurement (log10 change
# of ||∂L/∂h_t|| per step back, over 200 steps, 64 units, Gaussian `W_hh`) at many spectral
# radii, for tanh, ReLU and linear units. A rate above 0 explodes, below 0 vanishes. ReLU is
# often said to have "no brake" because `f'` is 0 or 1; but `f' = 0` *is* a brake: every unit that
# is off at a step blocks the gradient through it, and with a Gaussian `W_hh` about half of the
# units are off at each step.

# %%
rho_grid = np.round(np.arange(0.5, 6.01, 0.25), 2)
growth = {nl: [] for nl in ("linear", "relu", "tanh")}
relu_off = []
for rho in rho_grid:
    wg = G.random_rnn(4, 64, float(rho), "gaussian")
    for nl in growth:
        r = G.log_grad_norms(xs, wg, G.readout(64), nl)
        growth[nl].append((r.log_norms[0] - r.log_norms[-1]) / (Ts - 1))
        if nl == "relu":
            relu_off.append(1 - r.fprime.mean())
growth = {nl: np.array(g) for nl, g in growth.items()}
fig_r, ax_r = figure(figsize=(6.4, 3.0))
for nl, colour in (("linear", "black"), ("relu", "tab:green"), ("tanh", "tab:blue")):
    ax_r.plot(rho_grid, growth[nl], "o-", ms=3, color=colour, label=nl)
ax_r.axhline(0, color="grey", lw=0.8)
ax_r.set_xlabel("spectral radius ρ of W_hh")
ax_r.set_ylabel("log10 growth per step back")
ax_r.legend(fontsize=8)
fig_r.canvas.draw_idle()


def first_growing(nl):
    """The ρ where the measured rate crosses 0 (linear interpolation between grid points)."""
    i = int(np.nonzero(growth[nl] <= 0)[0][-1])  # last grid point that does not grow
    r0, r1, g0, g1 = rho_grid[i], rho_grid[i + 1], growth[nl][i], growth[nl][i + 1]
    return float(r0 + (r1 - r0) * (-g0) / (g1 - g0))


at = {rho: i for i, rho in enumerate(rho_grid)}
print(" rho   linear    ReLU    tanh   (log10 change per step back; > 0 explodes)")
for rho in (1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0):
    i = at[rho]
    print(f"{rho:4.2f}  {growth['linear'][i]:+.3f}  {growth['relu'][i]:+.3f}  "
          f"{growth['tanh'][i]:+.3f}")
fig_r.canvas

# %%
i12 = at[1.25]
# What the text below says, checked: at ρ = 1.25 linear explodes, ReLU still vanishes; tanh
# explodes at ρ = 3 (section 7's diverging run); each threshold ordered linear < ReLU < tanh.
assert growth["linear"][i12] > 0 > growth["relu"][i12]
assert growth["tanh"][at[3.0]] > 0 and growth["tanh"][at[2.0]] < 0
assert first_growing("linear") < first_growing("relu") < first_growing("tanh")
assert 1.2 < first_growing("relu") < 2.0 and abs(first_growing("linear") - 1) < 0.05
# larger weights: faster growth (one random matrix per ρ: steps may wobble by a few 1/1000)
assert np.all(np.diff(growth["tanh"]) > -0.01) and growth["tanh"][-1] > growth["tanh"][at[3.0]]
assert np.all(growth["tanh"][rho_grid >= 2.5] > 0)
display(Markdown(
    f"At ρ = 1.25 the linear network's gradient grows by 10^{growth['linear'][i12]:+.3f} per "
    f"step, while the ReLU network's *shrinks* by 10^{growth['relu'][i12]:+.3f}: on average "
    f"{np.mean(relu_off):.0%} of the ReLU units were off at a step, and each blocks the gradient "
    f"through it. The measured rate crosses 0 at ρ ≈ {first_growing('linear'):.2f} (linear), "
    f"{first_growing('relu'):.2f} (ReLU; a rough argument says √2 ≈ 1.41: if half the units "
    f"pass, a step keeps about ρ/√2 of the length) and {first_growing('tanh'):.2f} (tanh). So: "
    f"for a **linear** network "
    f"ρ > 1 explodes, at exactly the rate log10 ρ. A **ReLU** network vanishes well above ρ = 1 "
    f"and explodes once ρ is large enough. A **tanh** network needs larger weights still, and "
    f"then it explodes too: its rate rises with ρ across the grid and stays above 0 from "
    f"ρ = 2.5 to 6. Saturation slows the growth; it never turns large weights into vanishing."))

# %% [markdown]
# **The dilemma: latching against vanishing.** Lesson 01 solved "which came first?" with a
# hand-set one-unit recurrence, `h_t = tanh(w_hh h_{t-1} + 3 x_t)`, and `w_hh = 6`: the first
# marker pushes `h` to about ±1 and the state *latches* there. Bengio, Simard and Frasconi (1994)
# proved that this is a trade: to store a bit robustly, so that small disturbances of the input
# die out instead of adding up, the state must sit where the per-step derivative
# `∂h_t/∂h_{t−1} = w_hh (1 − h_t²)` is below 1; and then the gradient from the end back to the
# marker is a product of such factors, so it vanishes. Below, lesson 01's recurrence reads `A`
# and then 30 filler steps whose input is noise (standard deviation 0.1, on 1000 sequences), for
# four values of `w_hh`: does the sign of the state survive, and how large is the gradient
# ∂h_T/∂h_1 that training would need to *learn* the latch?

# %%
def latch(w_hh, steps=30, n=1000, noise=0.1, w_in=3.0):
    """Lesson 01's recurrence after an A: (share of final signs still +, mean log10 of the
    per-step derivative, log10 mean |dh_T/dh_1|)."""
    g_noise = torch.Generator().manual_seed(4)
    h = torch.tanh(torch.full((n,), w_in, dtype=torch.float64))  # h_1: right after the A
    log_grad = torch.zeros(n, dtype=torch.float64)
    for _ in range(steps):
        h = torch.tanh(w_hh * h + w_in * noise * torch.randn(n, generator=g_noise,
                                                             dtype=torch.float64))
        log_grad += torch.log10(w_hh * (1 - h ** 2))
    kept = (h > 0).double().mean().item()
    mean_grad = torch.logsumexp(log_grad * math.log(10), 0).item() / math.log(10) - math.log10(n)
    return kept, log_grad.mean().item() / steps, mean_grad


latches = {w: latch(w) for w in (0.5, 1.0, 2.0, 6.0)}
print("w_hh   sign kept after 30 noisy steps   per-step derivative   |dh_T/dh_1|")
for w, (kept, per_step, grad) in latches.items():
    print(f"{w:4.1f}   {kept:14.1%}                 10^{per_step:+.2f}          10^{grad:+.1f}")

# %%
robust = [w for w, (kept, _, _) in latches.items() if kept > 0.99]
# The dilemma, checked: every recurrence that held the bit had a per-step derivative far below 1
# and a vanishing gradient; the one whose derivative was near 1 did not hold it.
assert robust and all(latches[w][1] < -0.5 and latches[w][2] < -10 for w in robust)
assert latches[1.0][1] > -0.2 and latches[1.0][2] > -5 and latches[1.0][0] < 0.9
display(Markdown(
    f"With `w_hh` = {', '.join(f'{w:g}' for w in robust)} the bit survived the noise in more than "
    f"99% of the sequences, and there the per-step derivative was 10^{latches[robust[0]][1]:.2f} "
    f"or less: the gradient from step 31 back to step 1 is 10^{latches[robust[-1]][2]:.0f} at "
    f"`w_hh = {robust[-1]:g}`. At `w_hh = 1` the derivative stays near 1 "
    f"(10^{latches[1.0][1]:+.2f} per step, gradient 10^{latches[1.0][2]:.1f}): a gradient could "
    f"flow, but the state drifts with the noise and only {latches[1.0][0]:.0%} kept the right "
    f"sign. Robust memory and a usable gradient pull in opposite directions; gated cells (lesson "
    f"05) escape the trade by storing the bit on a path whose factor is a gate near 1 rather "
    f"than `w_hh · f'`."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Widget: gradients during training
#
# The widget above looked at *untrained* networks. Does training change the picture? We train a
# vanilla tanh RNN and an LSTM (both the course's from-scratch layers, 32 hidden units, Adam,
# learning rate 0.01, gradients clipped at 1) on the **adding problem** with `T = 20` steps:
# each step carries a random value and a marker; two steps are marked, one in each half; the
# target is the sum of the two marked values. Predicting the constant 1 gives MSE 1/6 ≈ 0.167,
# but beating that proves little: a model that remembers only the *second* marked value (at most
# 9 steps before the end) and guesses 1/2 for the first reaches MSE 1/12 ≈ 0.083 (the cell
# below measures it). Only a model **below 1/12** must carry information from the first half,
# across at least 10 and up to 19 steps.
#
# Every 10 training steps we record ||∂L/∂h_t|| for every `t` (norm over the batch of 32), read
# from the same backward pass that trains the model (`retain_grad`). The cell below trains both
# models (the longest cell of the lesson); the widget then only looks things up.

# %%
T_add, hidden_add, steps_add, every_add = 20, 32, 300, 10
eval_add = adding_problem(1000, T_add, torch.Generator().manual_seed(123))
second_value = (eval_add[0][:, T_add // 2:, 0] * eval_add[0][:, T_add // 2:, 1]).sum(1, keepdim=True)
mse_const = nn.functional.mse_loss(torch.ones_like(eval_add[1]), eval_add[1]).item()
mse_second = nn.functional.mse_loss(second_value + 0.5, eval_add[1]).item()
print(f"held-out MSE of predicting 1: {mse_const:.4f} (1/6 = {ADDING_BASELINE_MSE:.4f}); of "
      f"remembering only the second value: {mse_second:.4f} (1/12 = {ADDING_ONE_MARKER_MSE:.4f})")
assert abs(mse_const - ADDING_BASELINE_MSE) < 0.02 and abs(mse_second - ADDING_ONE_MARKER_MSE) < 0.01
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
assert runs["LSTM"]["eval"][-1] < 0.1 * ADDING_ONE_MARKER_MSE
assert runs["RNN"]["eval"][-1] > ADDING_ONE_MARKER_MSE
assert lstm_first[-1] - lstm_first[0] > 2 and lstm_first[-1] > rnn_first[-1]
display(Markdown(
    f"After {steps_add} steps the LSTM's held-out MSE is {runs['LSTM']['eval'][-1]:.4f} and the "
    f"vanilla RNN's is {runs['RNN']['eval'][-1]:.4f} (predicting 1: {ADDING_BASELINE_MSE:.3f}; "
    f"remembering only the second value: {ADDING_ONE_MARKER_MSE:.3f}). The LSTM is far below "
    f"1/12, so it uses the first marked value; the RNN is not below it. At "
    f"the start both pass a gradient of about 10^{rnn_first[0]:.1f} (RNN) and "
    f"10^{lstm_first[0]:.1f} (LSTM) back to step 1. By the end the LSTM's has grown to "
    f"10^{lstm_first[-1]:.1f}, while the RNN's is 10^{rnn_first[-1]:.1f}: the LSTM learned to "
    f"keep a path open to the early steps, and its loss fell when it did. Gating is not magic at "
    f"initialisation; it makes an open path *learnable*."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Exploding gradients and clipping
#
# Now the opposite failure. A tanh RNN with a Gaussian `W_hh` of spectral radius 3, trained on
# the same adding problem with plain SGD (learning rate 0.1), twice: without clipping, and with
# `clip_grad_norm_(params, 1.0)`, which rescales the whole gradient to norm 1 whenever it is
# larger. (`rnnlab.train.fit` stops when the loss stops being finite.)

# %%
clip_runs, clip_models = {}, {}
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
    clip_models[clip] = model
for clip, hist in clip_runs.items():
    finite = [v for v in hist["loss"] if math.isfinite(v)]
    print(f"clip={clip}: {len(hist['loss'])} steps, largest gradient norm "
          f"{max(hist['grad_norm']):.3g}, largest finite loss {max(finite):.3g}, "
          f"last loss {hist['loss'][-1]:.3g}")
no_clip, with_clip = clip_runs[None], clip_runs[1.0]
assert not math.isfinite(no_clip["loss"][-1]) and math.isfinite(with_clip["loss"][-1])

# %%
with torch.no_grad():
    clipped_mse = nn.functional.mse_loss(clip_models[1.0](eval_add[0]), eval_add[1]).item()
clipped_word = "worse" if clipped_mse > ADDING_BASELINE_MSE else "better"
assert clipped_word == "worse"  # the sentence below says what clipping did *not* buy here
display(Markdown(
    f"What clipping bought here: a run that stayed finite for all {len(with_clip['loss'])} "
    f"steps, where the unclipped one stopped after {len(no_clip['loss'])}. It did not buy "
    f"learning: the clipped model's held-out MSE is {clipped_mse:.3f}, {clipped_word} than "
    f"predicting the constant 1 ({ADDING_BASELINE_MSE:.3f}). A tanh RNN started at ρ = 3 is a "
    f"bad start that clipping alone does not repair. Section 9 shows a run where clipping is "
    f"what makes training succeed."))

# %%
ClippingExplorer(clip_runs)

# %% [markdown]
# **What clipping acts on.** Both of PyTorch's clipping functions run *after* the backward pass,
# on the parameter gradients `p.grad`:
#
# - `clip_grad_norm_(params, c)` treats all parameter gradients as one vector `g` and multiplies
#   it by `min(1, c / ||g||)`: same direction, shorter step. This is the remedy of Pascanu,
#   Mikolov and Bengio (2013): an RNN's loss surface has "cliffs", narrow walls where the
#   gradient is enormous, and a full step there throws the parameters far away; a step of
#   bounded length in the same direction does not.
# - `clip_grad_value_(params, c)` clamps every entry to `[−c, c]`. Large entries shrink and small
#   ones do not, so the *direction* changes.
#
# Neither touches ∂L/∂h_t, so neither can rebalance early against late time steps. The parameter
# gradient is already a sum over time: for `W_hh`, `g = Σ_t δa_t h_{t−1}ᵀ` with
# `δa_t = f'(a_t) ⊙ ∂L/∂h_t` (lesson 03's per-step shares). Clipping sees only the sum. The cell
# below computes the per-step terms from ∂L/∂h_t by hand, checks that they add up to autograd's
# `W_hh.grad`, then applies both kinds of clipping to that gradient.

# %%
rnn_c = RNN(n_in, H, dtype=torch.float64)
with torch.no_grad():  # section 2's sequence, with W_hh scaled to ρ = 3 so the gradient is large
    rnn_c.weight_hh_l0.copy_(W_hh * 3.0 / G.spectral_radius(W_hh))
out_c, _ = rnn_c(x)
states_c = rnn_c.hidden_states[0]
loss_c = out_c[-1] @ v
dL_dh = torch.autograd.grad(loss_c, states_c, retain_graph=True)
loss_c.backward()
h_prev_c = [torch.zeros(H, dtype=torch.float64)] + [h_.detach() for h_ in states_c[:-1]]
per_step = torch.stack([torch.outer((1 - h_.detach() ** 2) * g_, hp)
                        for h_, g_, hp in zip(states_c, dL_dh, h_prev_c, strict=True)])
g_hh = rnn_c.weight_hh_l0.grad.clone()
assert torch.allclose(per_step.sum(0), g_hh, rtol=1e-10, atol=1e-12)  # the sum over time steps
params_c = list(rnn_c.parameters())
raw = [p_.grad.clone() for p_ in params_c]
total = torch.sqrt(sum((g_ ** 2).sum() for g_ in raw)).item()
nn.utils.clip_grad_norm_(params_c, 0.1 * total)
by_norm = rnn_c.weight_hh_l0.grad.clone()
for p_, g_ in zip(params_c, raw, strict=True):
    p_.grad.copy_(g_)
c_value = g_hh.abs().median().item()
nn.utils.clip_grad_value_(params_c, c_value)
by_value = rnn_c.weight_hh_l0.grad.clone()


def cosine(a_, b_):
    return (a_.flatten() @ b_.flatten() / (a_.norm() * b_.norm())).item()


# Clamping each step's term before summing would be a per-step rebalancing; it is not what
# clip_grad_value_ computes.
per_step_clamped = per_step.clamp(-c_value, c_value).sum(0)
step_share = (per_step[1].norm() / per_step[-1].norm()).item()  # t = 1's term is 0: h_0 = 0
print(f"W_hh gradient: {T} per-step terms, their sum equals autograd's W_hh.grad (checked); "
      f"||term at t=2|| / ||term at t={T}|| = {step_share:.1e}")
print(f"clip_grad_norm_ to 1/10 of the norm: scaled by {by_norm.norm() / g_hh.norm():.3f}, "
      f"cosine with the raw gradient {cosine(by_norm, g_hh):.6f}")
print(f"clip_grad_value_ at {c_value:.2g} (median |entry|): cosine with the raw gradient "
      f"{cosine(by_value, g_hh):.3f}; with 'clamp each step, then sum' {cosine(by_value, per_step_clamped):.3f}")
assert torch.allclose(by_norm, 0.1 * g_hh, rtol=1e-6)  # torch's result against the formula
assert abs(cosine(by_norm, g_hh) - 1) < 1e-12 and cosine(by_value, g_hh) < 0.99
assert (by_value - per_step_clamped).norm() > 0.1 * by_value.norm()

# %% [markdown]
# So clipping by norm shortens the step and keeps its direction, and every time step's term in
# it shrinks by the same factor; clipping by value bends the direction according to the *summed*
# entries, not according to which step they came from. Neither changes ∂L/∂h_t: the gradient
# reaching step 1 is as small after clipping as before. Clipping is a remedy for explosion only.

# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
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
# - **Clipping** (every row clips at norm 1, as in section 6). Section 7 showed it keeping a
#   diverging run finite without making it learn; the last row trains the IRNN *without*
#   clipping, to see whether it mattered there.

# %%
def train_fast(cell, nonlinearity="tanh", init=None, truncate=None, steps=300, seed=0, clip=1.0):
    """Train a fused PyTorch layer on the T = 20 adding problem; returns held-out MSE, seconds
    and the largest gradient norm seen (before clipping)."""
    torch.manual_seed(seed)
    kw = {"nonlinearity": nonlinearity} if cell == "RNN" else {}
    model = G.SequenceRegressor(cell, 2, hidden_add, impl="torch", **kw)
    if init is not None:
        with torch.no_grad():
            model.rnn.weight_hh_l0.copy_(G.recurrent_matrix(
                hidden_add, 1.0, init, torch.Generator().manual_seed(seed), torch.float32))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    data_gen = torch.Generator().manual_seed(seed)
    start, peak = time.perf_counter(), 0.0
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
        # with max_norm = inf, clip_grad_norm_ only measures the norm
        norm = nn.utils.clip_grad_norm_(model.parameters(), math.inf if clip is None else clip)
        peak = max(peak, norm.item())
        opt.step()
    with torch.no_grad():
        mse = nn.functional.mse_loss(model(eval_add[0]), eval_add[1]).item()
    return mse, time.perf_counter() - start, peak


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
    ("IRNN without clipping", dict(cell="RNN", nonlinearity="relu", init="identity", clip=None),
     ("RNN", "relu", "identity", 1.0)),
]
print(f"adding problem T = {T_add}, 300 steps; baseline MSE {ADDING_BASELINE_MSE:.3f}")
print(f"{'remedy':36s} {'held-out MSE':>12s} {'seconds':>8s}   log10 grad ratio at T=100")
remedy_mse, remedy_peak = {}, {}
for name, kw, prof in remedies:
    mse, secs, remedy_peak[name] = train_fast(**kw)
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
irnn_clip, irnn_raw = remedy_mse["IRNN: ReLU, identity W_hh"], remedy_mse["IRNN without clipping"]
irnn_peak = remedy_peak["IRNN without clipping"]
# What the text below says, checked:
assert irnn_clip < ADDING_ONE_MARKER_MSE < irnn_raw
assert remedy_mse["LSTM, truncated BPTT k = 5"] < ADDING_ONE_MARKER_MSE
display(Markdown(
    f"On this short task: the default tanh RNN reached MSE "
    f"{remedy_mse['tanh RNN, PyTorch' + chr(39) + 's default init']:.4f}, orthogonal "
    f"initialisation {remedy_mse['tanh RNN, orthogonal W_hh (ρ = 1)']:.4f}, the IRNN "
    f"{remedy_mse['IRNN: ReLU, identity W_hh']:.4f}, the LSTM {remedy_mse['LSTM']:.4f}, the GRU "
    f"{remedy_mse['GRU']:.4f}, and the LSTM with BPTT truncated to 5 steps "
    f"{remedy_mse['LSTM, truncated BPTT k = 5']:.4f} (predicting 1: "
    f"{ADDING_BASELINE_MSE:.3f}; remembering only the second value: {ADDING_ONE_MARKER_MSE:.3f}). "
    f"Best here: {best}. One seed and 300 steps: treat small differences as noise, large ones "
    f"(a factor of ten) as real.\n\n"
    f"Clipping mattered for the IRNN: {irnn_clip:.4f} with it, {irnn_raw:.4f} without (its "
    f"gradient norm reached {irnn_peak:.0f} in that run, against the threshold 1). Identity "
    f"initialisation keeps the gradient from vanishing at the start; once training moves the "
    f"weights, nothing in the IRNN bounds its gradient, and Adam's steps on those spikes undid "
    f"the learning. Clipping bounds the steps, and here that is what made training succeed.\n\n"
    f"Look at the truncated LSTM: its MSE is below 1/12, so it uses the first marked value, "
    f"although, as the cell above counted, its "
    f"loss sends exactly zero gradient to {n_zero} of the {T_add} steps, including wherever the "
    f"first marker is. The weights are shared across time, so a rule learnt from the last "
    f"{k_trunc} steps (add a marked value to a running sum in the cell state, and keep it) can "
    f"also run over all {T_add}: the only way it can use the first marker. Truncation removes "
    f"the *direct* training signal from early steps; a dependency that cannot be built from "
    f"short pieces is lost, one that can may survive. "
    f"Lesson 05 opens the LSTM to see why its gradient path can stay open."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Pitfalls
#
# - *"The spectral radius is the factor per step."* Only in the long run, and only for a linear
#   network. It is the exact factor at *every* step only when every eigenvalue has modulus `ρ`
#   and the matrix is normal, that is when `W_hh` is `ρ` times an orthogonal matrix (the identity
#   included): then every singular value is `ρ` too. Being normal is not enough: a symmetric
#   matrix with `ρ = 1` but smaller eigenvalues as well shrinks some vectors in one step (the
#   cell below). For a Gaussian `W_hh` one step can stretch a vector by up to `σ_max` (section 5
#   printed σ_max against ρ = 1.5) or shrink it a lot, and the measured slope near `t = T`
#   differs from `log10 ρ` (the cell below).
# - *"A spectral radius above 1 means exploding gradients."* For a linear network, in the long
#   run, yes. Not for ReLU or tanh: section 5 measured the ReLU network's gradient still
#   vanishing at ρ = 1.25, and the tanh network's at ρ = 1.5 and 2. Both explode once ρ is large
#   enough (tanh at ρ = 3, section 7's diverging run).
# - *"Clipping fixes vanishing gradients."* It acts on the parameter gradient after the backward
#   pass and never changes ∂L/∂h_t (section 7).
# - *"Clipping by value rebalances early and late time steps."* It clamps entries of the gradient
#   *summed* over time; it changes the direction, but it cannot see time steps (section 7).
# - *"With truncated BPTT the model cannot learn anything longer than `k` steps."* The gradient
#   to earlier steps is exactly zero, yet section 9's truncated LSTM got below 1/12: shared
#   weights carry a rule learnt on short spans to long ones.
# - *"LSTMs do not have vanishing gradients."* An untrained LSTM's gradient to step 1 was tiny
#   (section 6, training step 0); training opens the path.

# %%
p_g = G.profile("RNN", 300, 64, 0.9, "linear", "gaussian")
near = (p_g.log_norms[-11] - p_g.log_norms[-1]) / 10
far = (p_g.log_norms[0] - p_g.log_norms[100]) / 100
print(f"linear RNN, Gaussian W_hh, ρ = 0.9: slope over the last 10 steps {near:+.3f}, over "
      f"steps 1..101 {far:+.3f}, log10 ρ = {math.log10(0.9):+.3f}")
assert abs(far - math.log10(0.9)) < 0.01 < abs(near - math.log10(0.9))

# A symmetric (so normal) W_hh with spectral radius 1 and eigenvalues spread over [-1, 1]
Q, _ = torch.linalg.qr(torch.randn(8, 8, dtype=torch.float64, generator=gen))
eig = torch.linspace(-1.0, 1.0, 8, dtype=torch.float64)
W_sym = Q @ torch.diag(eig) @ Q.T
u = Q[:, eig.abs().argmin()]  # the eigenvector whose eigenvalue is smallest in modulus
one_step = (W_sym.T @ u).norm().item()
print(f"symmetric W_hh: spectral radius {G.spectral_radius(W_sym):.3f}, yet one step back "
      f"multiplies this unit vector's length by {one_step:.3f}")
assert abs(G.spectral_radius(W_sym) - 1) < 1e-12 and one_step < 0.2

# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 12. Exercises
#
# ### Exercise 1: a product of Jacobians
# Write `jacobian_product(W_hh, pre)` for a tanh RNN: `pre` is `(K, H)`, the pre-activations
# `a_1 .. a_K` in time order; return the `(H, H)` matrix `J_K ⋯ J_2 J_1` with
# `J_s = diag(1 − tanh(a_s)²) W_hh` (later steps on the left, as in `∂h_K/∂h_0`). With `K = 0`
# return the identity.

# %% slideshow={"slide_type": "skip"}
def jacobian_product(W_hh, pre):
    ### BEGIN SOLUTION
    P = torch.eye(W_hh.shape[0], dtype=W_hh.dtype)
    for a in pre:
        P = ((1 - torch.tanh(a) ** 2)[:, None] * W_hh) @ P
    return P
    ### END SOLUTION


# %%
check("l04.jacobian_product", jacobian_product)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: gradient norms by a backward recursion
# Write `grad_norms(W_hh, pre, v)`: `pre` is `(T, H)` (`a_1 .. a_T`), `v` is `(H,)`; for the
# loss `L = v · h_T` of a tanh RNN return the `(T,)` tensor of ||∂L/∂h_t||, `t = 1..T`. Start
# from `g_T = v` and step back with `g_{t−1} = W_hhᵀ ((1 − tanh(a_t)²) ⊙ g_t)`. No matrix
# products of Jacobians needed: this is the recursion the widget uses.

# %% slideshow={"slide_type": "skip"}
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: predict the slope
# Write `log10_ratio(rho, T)`: for a linear RNN whose `W_hh` is `rho` times an orthogonal
# matrix, return log10 of ||∂L/∂h_1|| / ||∂L/∂h_T|| as a Python float.

# %% slideshow={"slide_type": "skip"}
def log10_ratio(rho, T):
    ### BEGIN SOLUTION
    return (T - 1) * math.log10(rho)
    ### END SOLUTION


# %%
check("l04.log10_ratio", log10_ratio)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 13. Summary
#
# - The gradient reaching `h_t` is a product of `T − t` Jacobians `diag(f'(a_s)) W_hh`; we
#   computed it three ways and they agree to rounding.
# - Linear and orthogonal: exactly `ρ^{T−t}`. In general `(γ σ_max)^{T−t}` bounds it. `f'` is a
#   brake: ReLU units that are off, and saturated tanh units, let a network vanish at spectral
#   radii where a linear one explodes; but large enough weights explode with either (tanh at
#   ρ = 3 diverged in training).
# - Robust memory and a usable gradient conflict (Bengio, Simard and Frasconi, 1994): lesson 01's
#   latch holds its bit because its per-step derivative is far below 1.
# - Clipping (by norm) acts on the parameter gradient, never on ∂L/∂h_t: it keeps a run finite
#   and, for the IRNN, made training succeed; it did not rescue a tanh RNN started at ρ = 3, and
#   it cannot help vanishing gradients. Orthogonal or identity initialisation, and above all
#   gating, keep a path open; truncation cuts long paths outright.
#
# **Next:** lesson 05 builds the LSTM, whose cell state is that open path.

# %%
print(f"lesson 04 ran in {time.perf_counter() - LESSON_START:.0f} s (after imports)")
