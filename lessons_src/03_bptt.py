# %% [markdown] slideshow={"slide_type": "slide"}
# # 03 · Backpropagation through time
#
# **You will be able to**
# - unroll an RNN into a feedforward graph with shared weights, and show that backpropagation
#   through time (BPTT) is ordinary backpropagation on that graph;
# - derive and code the backward step of a tanh RNN, and match autograd to 1e-10 in float64;
# - say exactly what truncated BPTT (`detach()` every k steps) removes from the gradient and what
#   memory it saves, with measurements.
#
# **Prerequisites:** lesson 02 (the recurrence `h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)`), the
# chain rule, and what `loss.backward()` does in PyTorch.
# **Run time:** about 10 seconds on a laptop CPU.

# %% slideshow={"slide_type": "skip"}
# %matplotlib widget
import numpy as np
import torch
from IPython.display import Markdown, display

from rnnlab import bptt
from rnnlab.bptt import SavedTensorMeter
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.explorers import TruncationExplorer
from rnnlab.quiz import Quiz
from rnnlab.train import seed_everything
from rnnlab.widgets import canvas_widget, figure

quiz = Quiz("l03")
gen = seed_everything(0)
torch.set_default_dtype(torch.float64)  # float64 everywhere, so only real mistakes show

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea
#
# An RNN runs one small network again and again, once per time step, with **the same weights**
# each time. Write the loop out for a sequence of T steps and you get an ordinary feedforward
# network, T layers deep, in which every layer uses the same `W_xh`, `W_hh` and `b_h` (and every
# output the same `W_hy`, `b_y`). This is called *unrolling*.
#
# Backpropagation through time is backpropagation on the unrolled graph: nothing more. The only
# new twist is the weight sharing. A weight used at T places receives T gradient contributions,
# one from each use, and its gradient is their **sum**.
#
# The picture shows 3 steps. Each coloured arrow is a use of a weight; arrows of one colour are
# the same matrix.

# %%
def draw_unrolled(ax, T=3):
    """The unrolled graph of a T-step RNN with a loss at every step."""
    colours = {"W_xh": "tab:green", "W_hh": "tab:red", "W_hy": "tab:blue"}
    pos = {}
    for t in range(T + 1):
        pos[f"h{t}"] = (t, 1)
        if t:
            pos[f"x{t}"], pos[f"y{t}"], pos[f"L{t}"] = (t, 0), (t, 2), (t, 3)
    pos["L"] = ((T + 1) / 2, 4)

    def arrow(a, b, colour="black", label=None):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.6,
                                    shrinkA=13, shrinkB=13))
        if label:
            ax.text((x0 + x1) / 2 + 0.05, (y0 + y1) / 2 + 0.08, label, color=colour, fontsize=8)

    for t in range(1, T + 1):
        arrow(f"x{t}", f"h{t}", colours["W_xh"], "W_xh")
        arrow(f"h{t - 1}", f"h{t}", colours["W_hh"], "W_hh")
        arrow(f"h{t}", f"y{t}", colours["W_hy"], "W_hy")
        arrow(f"y{t}", f"L{t}")
        arrow(f"L{t}", "L")
    for name, (x, y) in pos.items():
        label = name if len(name) == 1 else f"${name[0]}_{name[1:]}$"
        ax.text(x, y, label, ha="center", va="center", fontsize=11,
                bbox=dict(boxstyle="circle,pad=0.3", fc="white", ec="grey"))
    ax.set_xlim(-0.5, T + 0.6)
    ax.set_ylim(-0.5, 4.5)
    ax.axis("off")
    ax.set_title(f"An RNN unrolled over {T} steps: one set of weights, used at every step",
                 fontsize=10)


fig_graph, ax_graph = figure(figsize=(6.4, 4.2))
draw_unrolled(ax_graph)
canvas_widget(fig_graph)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Unrolled with three copies of the weights
#
# Let us make the picture literal. Below, `loss_of` runs the RNN with a *list* of weight sets,
# one per step. Given the same set three times it is the ordinary RNN (shared weights). Given
# three separate copies it is a plain 3-layer feedforward network whose layers happen to start
# with equal values. The shapes: `x_t` is (batch, D), `h_t` is (batch, H), `y_t` is (batch, O).
# As in PyTorch, a layer computes `x @ W.T`, so `W_xh` is (H, D), `W_hh` (H, H), `W_hy` (O, H).
# (Symbols as in the start page's *Notation* table: `s` counts steps, `k` is a truncation length.)
# The loss is summed over steps and batch: `L = Σ_t ½‖y_t − target_t‖²`.

# %%
NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")
T, B, D, H, O = 3, 2, 3, 4, 2
P = bptt.init_params(D, H, O, gen)          # a dict: W_xh, W_hh, b_h, W_hy, b_y
xs = torch.randn(T, B, D, generator=gen)
targets = torch.randn(T, B, O, generator=gen)
h0 = 0.5 * torch.randn(B, H, generator=gen)


def loss_of(weights_per_step, xs, targets, h0):
    """weights_per_step[t] is a dict of the weights used at step t."""
    h, loss = h0, 0.0
    for t, w in enumerate(weights_per_step):
        h = torch.tanh(xs[t] @ w["W_xh"].T + h @ w["W_hh"].T + w["b_h"])
        y = h @ w["W_hy"].T + w["b_y"]
        loss = loss + 0.5 * ((y - targets[t]) ** 2).sum()
    return loss


shared = {n: P[n].clone().requires_grad_() for n in NAMES}
loss_of([shared] * T, xs, targets, h0).backward()

copies = [{n: P[n].clone().requires_grad_() for n in NAMES} for _ in range(T)]
loss_of(copies, xs, targets, h0).backward()

for t, w in enumerate(copies):
    print(f"copy used at step {t + 1}: ||dL/dW_hh|| = {w['W_hh'].grad.norm():.4f}")
summed = {n: sum(w[n].grad for w in copies) for n in NAMES}
diff = max((summed[n] - shared[n].grad).abs().max().item() for n in NAMES)
print(f"sum of the copies' gradients vs the shared-weight gradient: max |difference| = "
      f"{diff:.1e} over all five parameters")
assert diff < 1e-12

# %% [markdown]
# Each copy gets a different gradient, and the shared weight's gradient is their sum (to
# rounding).
# That is all BPTT is. The rest of the lesson computes the same numbers by hand, which shows
# *where* each part of the gradient comes from.
#
# ## 3. The backward step, derived
#
# Number the steps t = 1..T. In the batch-of-rows convention used by PyTorch, step t computes
#
# $$a_t = x_t W_{xh}^\top + h_{t-1} W_{hh}^\top + b_h,\qquad h_t = \tanh(a_t),\qquad
#   y_t = h_t W_{hy}^\top + b_y,$$
# $$L = \sum_t L_t,\qquad L_t = \tfrac12\lVert y_t-\text{target}_t\rVert^2 .$$
#
# Write $\delta v$ for $\partial L/\partial v$ (the code says `dh`, `da`, ...). Going backwards:
#
# 1. **Readout.** $\delta y_t = y_t - \text{target}_t$, so
#    $\delta W_{hy} \mathrel{+}= \delta y_t^\top h_t$ and
#    $\delta b_y \mathrel{+}= \sum_{\text{batch}} \delta y_t$.
# 2. **Two paths into $h_t$.** $h_t$ feeds $y_t$ *and* $a_{t+1}$, so its gradient is the sum
#    $\delta h_t = \delta y_t W_{hy} + \delta h^{\text{next}}_t$, where
#    $\delta h^{\text{next}}_t = \delta a_{t+1} W_{hh}$ comes from the future (zero at t = T).
# 3. **Through tanh.** $\tanh'(a) = 1 - \tanh(a)^2$, so
#    $\delta a_t = \delta h_t \odot (1 - h_t^2)$, computed from $h_t$ alone.
# 4. **This step's share of the weights' gradients.**
#    $\delta W_{xh} \mathrel{+}= \delta a_t^\top x_t$,
#    $\delta W_{hh} \mathrel{+}= \delta a_t^\top h_{t-1}$,
#    $\delta b_h \mathrel{+}= \sum_{\text{batch}} \delta a_t$.
# 5. **Pass it back.** $\delta h^{\text{next}}_{t-1} = \delta a_t W_{hh}$; after step 1 this is
#    $\delta h_0$.
#
# The `+=` in steps 1 and 4 is the sum over copies from section 2. Step 2's sum is the same rule
# for a *tensor* used twice. The chain of step 5 is what makes it "through time": the gradient
# at step t reaches $h_{t-1}, h_{t-2}, \dots$ through repeated products with
# $\operatorname{diag}(1-h^2)$ and $W_{hh}$.
#
# ## 4. Build it
#
# In code, steps are numbered from 0: step `t` reads `hs[t]` and writes `hs[t + 1]`, so
# `hs[t + 1]` is the maths' $h_{t+1}$ and `hs[0]` is $h_0$.

# %%
def rnn_forward(xs, h0, W_xh, W_hh, b_h, W_hy, b_y):
    """xs (T, B, D), h0 (B, H) -> hs, a list of T+1 states (B, H) with hs[0] = h0, and
    ys (T, B, O)."""
    hs, ys = [h0], []
    for x_t in xs:
        h_prev = hs[-1]
        h = torch.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)
        hs.append(h)
        ys.append(h @ W_hy.T + b_y)
    return hs, torch.stack(ys)


# %% [markdown]
# One backward step, points 3 to 5 of the derivation:

# %%
def step_backward(dh, h, h_prev, x_t, W_hh):
    """dh = dL/dh_t (B, H), all paths. Returns this step's (dW_xh, dW_hh, db_h) and dh_prev,
    the gradient it sends back to h_{t-1} (B, H)."""
    da = dh * (1 - h ** 2)
    return da.T @ x_t, da.T @ h_prev, da.sum(0), da @ W_hh


# %% [markdown]
# And the loop, from the last step to the first, points 1 and 2 inside it. It also keeps each
# step's contribution to `dW_hh`, for section 5.

# %%
def bptt_by_hand(xs, targets, h0, W_xh, W_hh, b_h, W_hy, b_y):
    """Gradients of L = sum_t 0.5 * ||y_t - target_t||^2, with no autograd.
    Returns a dict of gradients and dW_hh_steps (T, H, H), each step's share of dW_hh."""
    hs, ys = rnn_forward(xs, h0, W_xh, W_hh, b_h, W_hy, b_y)
    g = {"W_xh": torch.zeros_like(W_xh), "W_hh": torch.zeros_like(W_hh),
         "b_h": torch.zeros_like(b_h), "W_hy": torch.zeros_like(W_hy),
         "b_y": torch.zeros_like(b_y)}
    dW_hh_steps = torch.zeros((len(xs),) + W_hh.shape)
    dh_next = torch.zeros_like(h0)            # nothing comes back from after the last step
    for t in reversed(range(len(xs))):
        dy = ys[t] - targets[t]
        g["W_hy"] += dy.T @ hs[t + 1]
        g["b_y"] += dy.sum(0)
        dh = dy @ W_hy + dh_next              # two paths into h_t: the readout and the future
        dW_xh_t, dW_hh_t, db_h_t, dh_next = step_backward(dh, hs[t + 1], hs[t], xs[t], W_hh)
        g["W_xh"] += dW_xh_t
        g["W_hh"] += dW_hh_t
        g["b_h"] += db_h_t
        dW_hh_steps[t] = dW_hh_t
    g["h0"] = dh_next
    return g, dW_hh_steps


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Check it against autograd
#
# A longer sequence this time, so that gradients travel through many steps: T = 20, batch 4,
# 8 hidden units, and a random `h0` so its gradient is not trivial. Everything is float64, so
# a correct implementation differs from autograd only by rounding (far below the 1e-10 the check
# demands), and a wrong one by far more.

# %%
T, B, D, H, O = 20, 4, 3, 8, 2
P = bptt.init_params(D, H, O, gen)
xs = torch.randn(T, B, D, generator=gen)
targets = torch.randn(T, B, O, generator=gen)
h0 = 0.5 * torch.randn(B, H, generator=gen)

mine, dW_hh_steps = bptt_by_hand(xs, targets, h0, *(P[n] for n in NAMES))

leaves = {n: P[n].clone().requires_grad_() for n in NAMES}
h0_leaf = h0.clone().requires_grad_()
hs, ys = rnn_forward(xs, h0_leaf, *(leaves[n] for n in NAMES))
(0.5 * ((ys - targets) ** 2).sum()).backward()
auto = {n: leaves[n].grad for n in NAMES} | {"h0": h0_leaf.grad}

for name in auto:
    d = (mine[name] - auto[name]).abs().max().item()
    print(f"{name:>4}: max |by hand - autograd| = {d:.1e}")
max_diff = max((mine[n] - auto[n]).abs().max().item() for n in auto)
ok = all(torch.allclose(mine[n], auto[n], atol=1e-10, rtol=0) for n in auto)
print(f"BPTT by hand vs autograd: {'MATCH' if ok else 'MISMATCH'}, "
      f"max |difference| {max_diff:.1e} (float64)")
assert ok and max_diff < 1e-10

# %% [markdown]
# The course library has the same computation as `rnnlab.bptt.bptt`, with cross-entropy and
# truncation added; lesson 04 builds on it. It agrees too:

# %%
lib = bptt.bptt(P, xs, targets, h0)
lib_diff = max((lib.grads[n] - auto[n]).abs().max().item() for n in auto)
print(f"rnnlab.bptt.bptt vs autograd: max |difference| {lib_diff:.1e}")
assert lib_diff < 1e-10

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: a ReLU step, back in time and down a layer
# Swap tanh for ReLU: `h = relu(a)`. Write `step_backward_relu(dh, h, W_xh, W_hh)` returning
# `(dh_prev, dx_t)`: the part of dL/dh_{t-1} that flows back through this step, as in
# `step_backward`, and **dL/dx_t**, the gradient with respect to this step's *input*, which
# `step_backward` never computed. In a stacked RNN, dx_t is what the layer below receives as its
# dL/dh_t. You need relu'(a) written with `h` only (PyTorch takes relu'(0) = 0).

# %% slideshow={"slide_type": "skip"}
def step_backward_relu(dh, h, W_xh, W_hh):
    ### BEGIN SOLUTION
    grad_pre = torch.where(h > 0, dh, torch.zeros_like(dh))   # relu'(a) = 1 where h > 0
    return grad_pre @ W_hh, grad_pre @ W_xh
    ### END SOLUTION


# %%
check("l03.step_backward_relu", step_backward_relu)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: the readout's gradient, all steps at once
# The readout never looks back in time, so its gradients need no loop. Write
# `readout_backward(hs, ys, targets, W_hy)` for `hs` (T, B, H) holding h_1..h_T, and `ys`,
# `targets` (T, B, O). Return `(dW_hy, db_y, dh_from_y)`: the readout's gradients summed over
# steps and batch, and the readout's part of every dL/dh_t, shape (T, B, H).
# (Hint: `torch.einsum("tbo,tbh->oh", ...)`, or reshape to (T·B, ...) first.)

# %% slideshow={"slide_type": "skip"}
def readout_backward(hs, ys, targets, W_hy):
    ### BEGIN SOLUTION
    dy = ys - targets
    return torch.einsum("tbo,tbh->oh", dy, hs), dy.sum((0, 1)), dy @ W_hy
    ### END SOLUTION


# %%
check("l03.readout_backward", readout_backward)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. A weight's gradient is a sum over time steps
#
# `dW_hh_steps[t]` is step t's share, $\delta a_t^\top h_{t-1}$: the gradient of the copy of
# `W_hh` used at step t. They add up to the full gradient:

# %%
step_sum_diff = (dW_hh_steps.sum(0) - mine["W_hh"]).abs().max().item()
print(f"sum over the {T} steps' shares vs dL/dW_hh: max |difference| {step_sum_diff:.1e}")
assert step_sum_diff < 1e-12
share_norms = dW_hh_steps.flatten(1).norm(dim=1)
print("norm of each step's share:", " ".join(f"{v:.2f}" for v in share_norms))

# %% [markdown]
# Step t's share mixes every loss term from t onwards. To see how far back one loss reaches,
# take a single term: the last one, $L_T$. Its gradient with respect to `W_hh` is again a sum
# over steps s = 1..T, and the share of step s has passed back through T − s steps of the chain
# (`rnnlab.bptt.loss_step_contributions` computes these shares by hand). Below: the size of each
# share, for two scales of `W_hh` (the scale is roughly its spectral radius). The state starts
# at h_0 = 0, so the first step's share, `da_1.T @ h_0`, is exactly zero and is not drawn.

# %%
T_long = 40
xs_long = torch.randn(T_long, B, D, generator=gen)
targets_long = torch.randn(T_long, B, O, generator=gen)
base = bptt.init_params(D, H, O, torch.Generator().manual_seed(1))


def with_scale(scale):
    """The same parameters with W_hh rescaled (its entries are N(0, scale^2 / H))."""
    return base | {"W_hh": base["W_hh"] * scale}


def last_loss_shares(params, xs, targets, k=None):
    """Frobenius norm of step s's share of dL_T/dW_hh, for s = 1..T (numpy array)."""
    c = bptt.loss_step_contributions(params, xs, targets, t=len(xs) - 1, k=k)
    return c.flatten(1).norm(dim=1).numpy()


def positive(v):
    """Zeros as NaN, which a log-scale plot leaves out."""
    return np.where(v > 0, v, np.nan)


fig_share, ax_share = figure(figsize=(6.4, 3.2))
lags = np.arange(T_long)[::-1]                   # T - s for s = 1..T
shrink = {}
for scale in (0.8, 1.5):
    shares = last_loss_shares(with_scale(scale), xs_long, targets_long)
    ax_share.semilogy(lags, positive(shares), "o-", ms=3, label=f"W_hh scale {scale}")
    shrink[scale] = shares[-21] / shares[-1]
ax_share.set_xlabel("how many steps back, T − s")
ax_share.set_ylabel("‖share of step s in dL_T/dW_hh‖")
ax_share.legend()
radius = torch.linalg.eigvals(base["W_hh"]).abs().max().item()
print(f"spectral radius of W_hh at scale 1: {radius:.3f}")
canvas_widget(fig_share)

# %%
# What the text below says, checked: both shrink over 20 steps, the smaller scale much faster;
# and scale 1 has a spectral radius near 1
assert shrink[0.8] < 1e-2 * shrink[1.5] and shrink[1.5] < 1e-1 and abs(radius - 1) < 0.15
display(Markdown(
    "The share of the step 20 steps before the end, as a fraction of the last step's share: "
    + ", ".join(f"**{v:.1e}** at scale {s}" for s, v in shrink.items())
    + ". The shares shrink roughly geometrically with the distance, at a rate set by the "
    "scale of W_hh. A late loss's gradient says little about what the network did many steps "
    "earlier, even though that may be exactly what the loss depends on. Lesson 04 is about "
    "why (the repeated product with diag(1 − h²) W_hh) and what to do about it."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Experiment: shares over time, and truncation
#
# Move the sliders. **T** is the sequence length, **scale** multiplies `W_hh`, and **k** truncates
# the backward pass every k steps (section 9 explains exactly how; k ≥ T is full BPTT). Left: each
# step's share of dL_T/dW_hh, full (line) and truncated (dots; shares cut to zero are not drawn).
# Right: how far the truncated gradient dL/dW_hh (all losses) is from the full one, for every k.

# %%
T_MAX = 60
xs_w = torch.randn(T_MAX, 8, D, generator=gen)
targets_w = torch.randn(T_MAX, 8, O, generator=gen)
K_GRID = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60]


def relative_error(params, xs, targets, k):
    """||cut - full|| / ||full|| for dL/dW_hh truncated every k steps (cut) and not (full)."""
    full = bptt.bptt(params, xs, targets).grads["W_hh"]
    cut = bptt.bptt(params, xs, targets, k=k).grads["W_hh"]
    return ((cut - full).norm() / full.norm()).item()


TruncationExplorer(last_loss_shares, with_scale, xs_w, targets_w, T=30, k=10, k_grid=K_GRID)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. The cost of BPTT: memory grows with T
#
# The backward step needs `h_t` and `h_{t-1}` (and `x_t`) from the forward pass, so every step's
# activations must be kept until the backward pass reaches them. How much? We count it exactly:
# `SavedTensorMeter` (in `rnnlab.bptt`) uses `torch.autograd.graph.saved_tensors_hooks` to see
# every tensor autograd saves for the backward, and adds up their sizes, each piece of memory
# once, leaving out the parameters and the input (they exist anyway). Unlike reading the
# process's memory, this gives the same number on every run. A float32 model this time, batch 32,
# 64 hidden units.

# %%
Bm, Dm, Hm, Om = 32, 8, 64, 4
Pm = bptt.init_params(Dm, Hm, Om, torch.Generator().manual_seed(2), dtype=torch.float32)


def memory_problem(T, dtype=torch.float32, batch=Bm):
    g = torch.Generator().manual_seed(T)
    return (torch.randn(T, batch, Dm, generator=g, dtype=dtype),
            torch.randn(T, batch, Om, generator=g, dtype=dtype))


def activation_bytes(T, k=None, backward_per_chunk=False, dtype=torch.float32, batch=Bm):
    """Peak bytes autograd holds for backward over a T-step sequence, with the state detached
    every k steps. With backward_per_chunk, each chunk's loss is backpropagated (and its graph
    freed) before the next chunk runs; otherwise one backward at the end.
    Returns (bytes, gradients)."""
    xs, targets = memory_problem(T, dtype, batch)
    w = {n: p.to(dtype).clone().requires_grad_() for n, p in Pm.items()}
    meter = SavedTensorMeter(exclude=[*w.values(), xs, targets])
    k = k or T
    h, total, peak = torch.zeros(batch, Hm, dtype=dtype), 0.0, 0
    for start in range(0, T, k):
        if start > 0:
            h = h.detach()
        with meter:
            hs, ys = rnn_forward(xs[start:start + k], h, *(w[n] for n in NAMES))
            chunk_loss = 0.5 * ((ys - targets[start:start + k]) ** 2).sum()
        h = hs[-1]
        if backward_per_chunk:
            chunk_loss.backward()
            peak = max(peak, meter.bytes)
            meter.reset()
        else:
            total = total + chunk_loss
    if not backward_per_chunk:
        total.backward()
        peak = meter.bytes
    return peak, {n: p.grad for n, p in w.items()}


lengths = np.array([25, 50, 100, 200, 400])
full_bytes = np.array([activation_bytes(int(t))[0] for t in lengths])
per_step, intercept = np.polyfit(lengths, full_bytes, 1)
predicted = Bm * (Hm + Om) * 4
param_bytes = sum(p.numel() * 4 for p in Pm.values())
for t, b in zip(lengths, full_bytes, strict=True):
    print(f"T = {t:4d}: {b / 1024:8.1f} KiB saved for backward")
print(f"fitted: {per_step:.1f} bytes per time step (+ {intercept:.0f} bytes); "
      f"prediction B·(H + O)·4 = {predicted} bytes; the parameters take {param_bytes} bytes")

# %% [markdown]
# Where the prediction comes from: each step keeps its `h_t` (B × H floats: `tanh` saves its
# output, and the next step's matrix product saves the same tensor as its `h_prev`) and the
# error `y_t − target_t` (B × O floats) for the squared loss. Nothing else grows with T. So
# activation memory is linear in T while the parameters stay fixed: for long sequences,
# the activations, not the weights, fill the memory.

# %%
fig_mem, ax_mem = figure(figsize=(6.4, 3.0))
ax_mem.plot(lengths, full_bytes / 1024, "o", label="measured")
ax_mem.plot(lengths, (per_step * lengths + intercept) / 1024, "-", lw=1,
            label=f"fit: {per_step:.0f} bytes per step")
ax_mem.set_xlabel("sequence length T")
ax_mem.set_ylabel("KiB saved for backward")
ax_mem.legend()
canvas_widget(fig_mem)

# %%
assert abs(per_step - predicted) < 1.0, "the memory per step should match the prediction"
display(Markdown(f"Measured: **{per_step:.0f} bytes per time step**, exactly "
                 f"B·(H + O)·4 = {Bm}·({Hm} + {Om})·4 = {predicted}. At T = {lengths[-1]} that is "
                 f"{full_bytes[-1] / param_bytes:.0f} times the memory of the parameters. "
                 f"The constant {intercept:.0f} bytes is h_0, saved by the first step's matrix "
                 f"product: {Bm}·{Hm}·4 = {Bm * Hm * 4}."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Truncated BPTT: what `detach()` removes, and what it saves
#
# The common recipe: process the sequence in chunks of k steps and call `h = h.detach()` between
# chunks. Precisely, for steps t = 1..T, the state entering steps k+1, 2k+1, ... is detached.
# The forward pass is unchanged (the same numbers flow on); only the backward changes: the
# gradient of a loss $L_t$ stops at the first step of $t$'s chunk. In the manual backward this
# is one line: set `dh_next` to zero when crossing into the previous chunk. `rnnlab.bptt.bptt`
# does that when given `k`, and agrees with autograd's `detach()`:

# %%
k = 6
cut_mine = bptt.bptt(P, xs, targets, h0, k=k).grads
cut_auto = bptt.autograd_bptt(P, xs, targets, h0, k=k)
cut_diff = max((cut_mine[n] - cut_auto[n]).abs().max().item() for n in cut_auto)
print(f"T = {T}, k = {k}: manual truncated BPTT vs autograd with detach(): "
      f"max |difference| {cut_diff:.1e}")
assert cut_diff < 1e-10
changed = {n: (cut_mine[n] - lib.grads[n]).norm().item() / lib.grads[n].norm().item()
           for n in cut_mine}
print("relative change vs full BPTT:", ", ".join(f"{n} {v:.2g}" for n, v in changed.items()))
assert changed["W_hy"] == 0.0 and changed["W_hh"] > 0

# %% [markdown]
# The readout's gradients do not change at all (they never travel through time); `W_xh`,
# `W_hh`, `b_h` and `h0` do. **What it removes**, measured: the relative error of dL/dW_hh as k
# varies, for three scales of `W_hh`, on the T = 60 sequences of the widget.

# %%
fig_k, ax_k = figure(figsize=(6.4, 3.0))
ks = [j for j in K_GRID if j < T_MAX]
errors = {}
for scale in (0.5, 1.0, 1.5):
    errors[scale] = [relative_error(with_scale(scale), xs_w, targets_w, j) for j in ks]
    ax_k.loglog(ks, errors[scale], "o-", ms=3, label=f"W_hh scale {scale}")
ax_k.set_xlabel("truncation k")
ax_k.set_ylabel("‖g_k − g‖ / ‖g‖ for W_hh")
ax_k.legend()
canvas_widget(fig_k)

# %%
i10 = ks.index(10)
print("error at k = 1 / error at k = 10:", {s: round(errors[s][0] / errors[s][i10], 2) for s in errors})
# "shrinks by a factor of only ...", and larger scales lose more (the averages), checked
assert all(errors[s][0] / errors[s][i10] < 10 for s in errors)
assert np.mean(errors[1.5]) > np.mean(errors[0.5])
display(Markdown(
    "With k = 10 the relative error is "
    + ", ".join(f"**{errors[s][i10]:.2f}** at scale {s}" for s in errors)
    + "; from k = 1 to k = 10 it shrinks by a factor of only "
    + ", ".join(f"{errors[s][0] / errors[s][i10]:.1f}" for s in errors)
    + ". Averaged over the k values plotted, it is "
    + ", ".join(f"{np.mean(errors[s]):.2f} at scale {s}" for s in errors) + "."))

# %% [markdown]
# Why so slowly, even at scale 0.5 where the shares die out within a few steps? Truncation does
# not only drop the *long-range* shares. Every cut also removes the *short-range* shares of the
# losses just after it: the loss right after a `detach()` loses its share one step back, the
# next loss its share two steps back, and so on. There are about T/k cuts; a larger k means
# fewer of them, but each one that is left costs about as much as before, so the error falls
# slowly. A larger scale makes the long-range shares bigger, and truncation drops those too
# (compare the averages). Pitfall 1 in section 10 counts how far each loss reaches.

# %% [markdown]
# **What it saves.** The memory for backward, measured as in section 8, at k = 25. Careful: the
# saving needs a `backward()` per chunk, which frees that chunk's graph. Detaching and then
# calling `backward()` once on the summed loss keeps every chunk's graph alive until the end.
# (Training loops usually also take an optimiser step after each chunk; then later chunks run
# with new weights, which is a different computation. Here the weights stay fixed, so all three
# runs see the same forward pass.)

# %%
k_mem = 25
one_backward = np.array([activation_bytes(int(t), k=k_mem)[0] for t in lengths])
per_chunk = np.array([activation_bytes(int(t), k=k_mem, backward_per_chunk=True)[0]
                      for t in lengths])
print(f"{'T':>5} {'full BPTT':>11} {'detach, 1 backward':>19} {'detach, backward/chunk':>23}")
for t, a, b, c in zip(lengths, full_bytes, one_backward, per_chunk, strict=True):
    print(f"{t:5d} {a / 1024:9.1f} KiB {b / 1024:15.1f} KiB {c / 1024:19.1f} KiB")
assert (per_chunk == per_chunk[0]).all() and (one_backward == full_bytes).all()

# %% [markdown]
# Both truncated runs compute the same gradient, the truncated one; only the second holds less
# memory, and its peak no longer depends on T. A check in float64 (batch 8, to keep it quick)
# that both equal the manual truncated BPTT:

# %%
P64 = {n: p.double() for n, p in Pm.items()}
g_manual = bptt.bptt(P64, *memory_problem(100, torch.float64, batch=8), k=k_mem).grads
for per_chunk_backward in (False, True):
    _, g = activation_bytes(100, k=k_mem, backward_per_chunk=per_chunk_backward,
                            dtype=torch.float64, batch=8)
    d = max((g[n] - g_manual[n]).abs().max().item() for n in NAMES)
    print(f"backward {'per chunk' if per_chunk_backward else 'once at the end'} vs manual "
          f"truncated BPTT: max |difference| {d:.1e}")
    assert d < 1e-10

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 10. Pitfalls, each shown by a computation
#
# **"Truncating at k lets every loss look k steps back."** Not with `detach()` every k steps.
# A loss at the end of a chunk reaches k steps; the loss right after a `detach()` reaches only
# its own step. Counted below for T = 12, k = 4: the number of steps whose share of dL_t/dW_hh
# is not zero.

# %%
reach = [int((bptt.loss_step_contributions(P, xs[:12], targets[:12], t, h0, k=4)
              .flatten(1).norm(dim=1) > 0).sum()) for t in range(12)]
print("steps reached by the loss at t = 1..12:", reach)
print(f"average reach: {np.mean(reach):.1f} steps, not 4")
assert reach == [1, 2, 3, 4] * 3

# %% [markdown]
# On average a loss sees (k + 1)/2 steps. (Schemes that give *every* loss k steps exist, but they
# run overlapping backward passes; plain `detach()` is not one of them.)
#
# **"Calling `detach()` every k steps saves memory."** Only together with a `backward()` per
# chunk, as the table in section 9 measured:

# %%
display(Markdown(
    f"At T = {lengths[-1]}: full BPTT holds {full_bytes[-1] / 1024:.0f} KiB, detach every "
    f"{k_mem} steps with one backward at the end still holds {one_backward[-1] / 1024:.0f} KiB, "
    f"and a backward per chunk holds {per_chunk[-1] / 1024:.0f} KiB."))

# %% [markdown]
# **"dL/dh_t is the readout's gradient `dy_t @ W_hy`."** That forgets the path through the
# future (`dh_next`), and it is a common bug in hand-written BPTT: the code still runs and
# `W_hh` still gets a gradient, but every step is credited only for its own loss. It is exactly
# truncation with k = 1, and far from the true gradient:

# %%
def bptt_forgetting_the_future(xs, targets, h0, W_xh, W_hh, b_h, W_hy, b_y):
    """The bug: dh = dy @ W_hy, without dh_next. Returns dL/dW_hh only."""
    hs, ys = rnn_forward(xs, h0, W_xh, W_hh, b_h, W_hy, b_y)
    dW_hh = torch.zeros_like(W_hh)
    for t in range(len(xs)):
        dh = (ys[t] - targets[t]) @ W_hy
        dW_hh += step_backward(dh, hs[t + 1], hs[t], xs[t], W_hh)[1]
    return dW_hh


buggy = bptt_forgetting_the_future(xs, targets, h0, *(P[n] for n in NAMES))
k1 = bptt.bptt(P, xs, targets, h0, k=1).grads["W_hh"]
bug_err = ((buggy - mine["W_hh"]).norm() / mine["W_hh"].norm()).item()
print(f"forgetting dh_next vs truncation k = 1: max |difference| "
      f"{(buggy - k1).abs().max().item():.1e}")
print(f"relative error of the buggy dL/dW_hh vs the true one: {bug_err:.2f}")
assert torch.allclose(buggy, k1, atol=1e-12) and bug_err > 0.05

# %% [markdown]
# **"Backprop through the unrolled graph needs different maths for the shared weights."** No:
# section 2 computed it with three independent copies and summed. Any autograd system gets BPTT
# for free from the unrolled loop; doing it by hand just makes the sum over steps visible.
#
# ## 11. Quiz

# %%
quiz.show("shared-sum")

# %%
quiz.show("tanh-local")

# %%
quiz.show("two-paths")

# %%
quiz.show("chunk-reach")

# %%
quiz.show("truncation-touches")

# %%
quiz.show("detach-memory")

# %%
quiz.show("memory-growth")

# %%
quiz.score()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 12. Summary
#
# - Unrolled over T steps, an RNN is a T-layer feedforward network with shared weights. BPTT is
#   backprop on it; a shared weight's gradient is the sum of the gradients of its copies.
# - One backward step: `da = dh * (1 - h**2)`; the step adds `da.T @ x_t`, `da.T @ h_prev` and
#   `da.sum(0)` to the gradients and sends `da @ W_hh` back to `h_{t-1}`. `dh` has two parts: the
#   readout's and the future's.
# - The shares of a late loss shrink as they reach back (section 6): distant steps barely
#   influence the gradient.
# - Full BPTT keeps every step's activations: memory linear in T, measured in bytes per step.
# - Truncated BPTT with `detach()` every k steps drops the long-range shares (a biased gradient,
#   error measured against k), lets each loss reach back (k + 1)/2 steps on average, and saves
#   memory only with a `backward()` per chunk.
#
# **Next, lesson 04:** why the shares shrink (or explode), the products of Jacobians behind it,
# and what LSTMs, GRUs and gradient clipping do about it.
