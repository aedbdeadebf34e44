# %% [markdown] slideshow={"slide_type": "slide"}
# # 06 · GRU, and choosing between them
#
# **You will be able to**
# - write the GRU cell (update gate, reset gate, candidate) from scratch in PyTorch's exact
#   form and prove it computes what `torch.nn.GRU` computes;
# - compare an LSTM and a GRU on the same task and budget: parameters, time per step, steps to
#   solve, final loss;
# - say when a bidirectional or a stacked RNN helps, from a measurement.
#
# **Prerequisites:** lesson 05 (the LSTM).
# **Run time:** about 30 seconds on a laptop CPU.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea: one state, two gates
#
# The GRU (Cho et al., 2014) keeps the LSTM's central trick, an update that *blends* the old
# state with a new candidate instead of rewriting it, with less machinery: no separate cell
# state and no output gate. PyTorch writes it as
#
# - reset gate `r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)`
# - update gate `z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)`
# - candidate `n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))`
# - new state `h_t = (1 - z_t) * n_t + z_t * h_{t-1}`
#
# `z_t = 1` keeps a unit's old value, `z_t = 0` replaces it with the candidate: one gate does the
# work of the LSTM's forget and input gates, tied so that they add up to 1. The reset gate
# decides how much of the old state the candidate may look at. Note where `r_t` sits: it scales
# `W_hn h_{t-1} + b_hn`, *after* the matrix product. Section 2 shows that this matters.

# %% slideshow={"slide_type": "skip"}
# %matplotlib widget
import time

import numpy as np
import torch
from IPython.display import Markdown, display
from torch import nn

from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.course import next_lesson
from rnnlab.data import ADDING_BASELINE_MSE, adding_problem, delay_task, one_hot
from rnnlab.explorers import GateExplorer
from rnnlab.models import GRU, LSTM
from rnnlab.quiz import Quiz
from rnnlab.train import seed_everything
from rnnlab.widgets import (
    canvas_widget,
    figure,
)

quiz = Quiz("l06")
gen = seed_everything(0)  # also sets one CPU thread: faster for models this small

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The gates from scratch
#
# `nn.GRU` packs three blocks in `weight_ih_l0` `(3H, input)` and `weight_hh_l0` `(3H, H)`, in
# the order **r, z, n**. Unlike the LSTM, the two biases are *not* interchangeable here: `b_hn`
# sits inside the reset gate's product, `b_in` outside it. So we keep input and recurrent terms
# apart. Names mirror the maths: `x_t` `(batch, input)`, `h_prev` `(batch, H)`. (Here `W_in` is
# the candidate's block of `W_ih`, not an input size; the start page's *Notation* table lists the
# course's symbols.)

# %%
H, n_in, batch = 5, 3, 4
ref = nn.GRU(n_in, H).double()
W_ih, W_hh, b_ih, b_hh = ref.weight_ih_l0, ref.weight_hh_l0, ref.bias_ih_l0, ref.bias_hh_l0
x_t = torch.randn(batch, n_in, generator=gen, dtype=torch.float64)
h_prev = torch.randn(batch, H, generator=gen, dtype=torch.float64)


def from_input(k):
    """Block k (0 = r, 1 = z, 2 = n) of W_ih x_t + b_ih: (batch, H)."""
    rows = slice(k * H, (k + 1) * H)
    return x_t @ W_ih[rows].T + b_ih[rows]


def from_state(k):
    """Block k of W_hh h_prev + b_hh: (batch, H)."""
    rows = slice(k * H, (k + 1) * H)
    return h_prev @ W_hh[rows].T + b_hh[rows]


# %% [markdown]
# - **Reset gate**: how much of the old state each unit of the candidate may use.
# - **Update gate**: how much of the old state each unit keeps.
# - **Candidate**: a proposal for the new state, built from the input and the reset-scaled past.
# - **New state**: a blend, unit by unit, of the old state and the candidate.

# %%
r_t = torch.sigmoid(from_input(0) + from_state(0))    # reset gate
z_t = torch.sigmoid(from_input(1) + from_state(1))    # update gate
n_t = torch.tanh(from_input(2) + r_t * from_state(2))  # candidate: r scales W_hn h + b_hn
h_t = (1 - z_t) * n_t + z_t * h_prev                  # blend: z = 1 keeps the old value

# %%
torch_cell = nn.GRUCell(n_in, H).double()
torch_cell.load_state_dict({k.replace("_l0", ""): v for k, v in ref.state_dict().items()})
step_diff = (h_t - torch_cell(x_t, h_prev)).abs().max().item()
print(f"one step vs nn.GRUCell: max |difference| = {step_diff:.1e} (float64)")
assert step_diff < 1e-10

# %% [markdown]
# **The placement of `r` is not a detail.** Many texts (and the original paper) write the
# candidate as `tanh(W_in x + W_hn (r * h_{t-1}) + b)`, resetting the state *before* the
# product. With the same weights that is a different function:

# %%
rows_n = slice(2 * H, 3 * H)
n_paper = torch.tanh(from_input(2) + (r_t * h_prev) @ W_hh[rows_n].T + b_hh[rows_n])
h_paper = (1 - z_t) * n_paper + z_t * h_prev
paper_diff = (h_paper - h_t).abs().max().item()
print(f"reset before the product vs nn.GRU's form: max |difference| = {paper_diff:.2f}")
assert paper_diff > 1e-3

# %% [markdown]
# Both are GRUs and both train; but weights trained in one form do not transfer to the other.
# cuDNN and PyTorch use the form above, so that is the one our layer must compute.
#
# ## 3. The layer, checked against `nn.GRU`

# %%
def gru_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """One step. x_t (batch, input), h_prev (batch, H) -> h (batch, H)."""
    xr, xz, xn = (x_t @ W_ih.T + b_ih).chunk(3, dim=-1)
    hr, hz, hn = (h_prev @ W_hh.T + b_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h_prev


def gru_layer(x, h, W_ih, W_hh, b_ih, b_hh):
    """x (seq_len, batch, input), h (batch, H) -> output (seq_len, batch, H), h_n (batch, H)."""
    outputs = []
    for x_t in x:
        h = gru_step(x_t, h, W_ih, W_hh, b_ih, b_hh)
        outputs.append(h)
    return torch.stack(outputs), h


def compare_with_torch(dtype, seq_len=30):
    torch.manual_seed(1)
    gru = nn.GRU(n_in, H).to(dtype)
    x = torch.randn(seq_len, batch, n_in, dtype=dtype)
    h0 = torch.randn(1, batch, H, dtype=dtype)
    out_ref, h_ref = gru(x, h0)
    out, h_n = gru_layer(x, h0[0], *gru.parameters())
    return max((out - out_ref).abs().max().item(), (h_n - h_ref[0]).abs().max().item())


d64, d32 = compare_with_torch(torch.float64), compare_with_torch(torch.float32)
print(f"gru_layer vs nn.GRU, 30 steps: max |difference| = {d64:.1e} (float64), "
      f"{d32:.1e} (float32)")
assert d64 < 1e-10 and d32 < 1e-6

# %% [markdown]
# The library's `GRU` (`rnnlab.models.GRU`, defined in `rnnlab.gated`) is this loop with
# torch's constructor, names and shapes. Two layers, batch-first, outputs, final state and
# every gradient:

# %%
torch.manual_seed(2)
theirs = nn.GRU(n_in, H, num_layers=2, batch_first=True).double()
ours = GRU(n_in, H, num_layers=2, batch_first=True).double()
ours.load_state_dict(theirs.state_dict())
x = torch.randn(batch, 30, n_in, dtype=torch.float64)
results = []
for model in (theirs, ours):
    out, h_n = model(x)
    loss = out.pow(2).sum() + h_n.sum()
    results.append([out, h_n, *torch.autograd.grad(loss, list(model.parameters()))])
lib_diff = max((a - b).abs().max().item() for a, b in zip(*results, strict=True))
print(f"rnnlab GRU vs nn.GRU (2 layers): outputs, state and {len(results[0]) - 2} parameter "
      f"gradients agree to {lib_diff:.1e}")
assert lib_diff < 1e-10

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: a GRU whose gates read only the input
# In the GRU above, `r` and `z` depend on `h_{t-1}`, so step t cannot start before step t − 1
# ends. **minGRU** (Feng et al., 2024, "Were RNNs All We Needed?") drops the reset gate and lets
# the update gate and the candidate read only the input:
#
# - `z_t = σ(W_z x_t + b_z)`, `h̃_t = W_h x_t + b_h` (no `tanh`),
# - `h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t`.
#
# Mind the convention: here `z_t` is the share of the **new** value, the opposite of PyTorch's
# `z` above, which is the share kept from `h_{t−1}`.
# Write `min_gru(x, h0, W_z, b_z, W_h, b_h)` for `x` of shape `(T, B, D)`, `h0` `(B, H)`,
# `W_z`, `W_h` `(H, D)`, returning every `h_t`, shape `(T, B, H)`. Because no gate looks at the
# state, every `z_t` and `h̃_t` can be computed for all steps at once before the loop; lesson 09
# returns to what that buys.

# %% slideshow={"slide_type": "skip"}
def min_gru(x, h0, W_z, b_z, W_h, b_h):
    ### BEGIN SOLUTION
    share_new = torch.sigmoid(x @ W_z.T + b_z)     # every step at once: no h inside
    proposal = x @ W_h.T + b_h
    h, states = h0, []
    for t in range(x.shape[0]):
        h = h + share_new[t] * (proposal[t] - h)
        states.append(h)
    return torch.stack(states)
    ### END SOLUTION


# %%
check("l06.min_gru", min_gru)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. LSTM versus GRU: same task, same budget
#
# The adding problem of lesson 05 (T = 50 steps, two marked values to add, baseline MSE 1/6):
# an LSTM and a GRU of the same width, the same data stream, the same optimiser (Adam, lr 1e-2,
# batches of 64) and the same budget of training steps. We record the test MSE every 25 steps,
# the step at which it first falls below 0.01 ("solved"), the final loss, and the time per step.
# We train PyTorch's `nn.LSTM` and `nn.GRU`, faster than our loops, to keep the lesson short;
# section 3 and lesson 05 showed that our layers compute the same functions.

# %%
class Summer(nn.Module):
    """Reads the sequence, predicts from the last hidden state: (batch, T, 2) -> (batch, 1)."""

    def __init__(self, layer, hidden):
        super().__init__()
        self.rnn = layer(2, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0][:, -1])


T_add, H_add, budget, every, solved_at = 50, 32, 500, 25, 0.01
x_test, y_test = adding_problem(300, T_add, torch.Generator().manual_seed(1))


def race(layer, seed):
    """Train for `budget` steps; return the test-MSE curve, the solving step (or None), and the
    seconds per training step (evaluation excluded)."""
    torch.manual_seed(seed)
    model = Summer(layer, H_add)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    data_gen = torch.Generator().manual_seed(100 + seed)
    curve, solved, train_s = [], None, 0.0
    for step in range(1, budget + 1):
        x_b, y_b = adding_problem(64, T_add, data_gen)
        start = time.perf_counter()
        loss = (model(x_b) - y_b).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        train_s += time.perf_counter() - start
        if step % every == 0:
            with torch.no_grad():
                curve.append((model(x_test) - y_test).pow(2).mean().item())
            if solved is None and curve[-1] < solved_at:
                solved = step
    n_params = sum(p.numel() for p in model.rnn.parameters())
    return {"curve": curve, "solved": solved, "final": curve[-1], "ms_per_step":
            1e3 * train_s / budget, "params": n_params, "model": model}


seeds = (0, 1)
runs = {name: [race(layer, s) for s in seeds] for name, layer in (("LSTM", nn.LSTM),
                                                                  ("GRU", nn.GRU))}
print(f"{'':<6}{'seed':>5}{'params':>8}{'ms/step':>9}{'solved at':>11}{'final MSE':>11}")
for name, rs in runs.items():
    for s, r in zip(seeds, rs, strict=True):
        at_step = "not yet" if r["solved"] is None else str(r["solved"])  # within the budget
        print(f"{name:<6}{s:>5}{r['params']:>8}{r['ms_per_step']:>9.2f}"
              f"{at_step:>11}{r['final']:>11.4f}")
print(f"baseline (predict 1): MSE {ADDING_BASELINE_MSE:.4f}")

# %%
fig, ax = figure(figsize=(6.4, 3.0))
steps_axis = np.arange(every, budget + 1, every)
for name, colour in (("LSTM", "tab:blue"), ("GRU", "tab:orange")):
    for i, r in enumerate(runs[name]):
        ax.semilogy(steps_axis, r["curve"], color=colour, alpha=1.0 if i == 0 else 0.5,
                    label=f"{name}" if i == 0 else None)
ax.axhline(ADDING_BASELINE_MSE, color="grey", ls=":", label="baseline 1/6")
ax.axhline(solved_at, color="grey", ls="--", lw=0.8, label="solved")
ax.set_xlabel("training step")
ax.set_ylabel("test MSE")
ax.legend(fontsize=8)
display(canvas_widget(fig))

# %% [markdown]
# Fewer parameters need not mean a faster step: the time per step depends on how the layer is
# implemented, and on which kernels your PyTorch build has for your hardware. Time one forward +
# backward pass of PyTorch's layers and of ours (the same Python loop style for both cells), and
# count the operators each runs:

# %%
def fwd_bwd_ms(model, x, repeats=5):
    best = np.inf
    for rep in range(repeats + 1):  # round 0 warms up
        start = time.perf_counter()
        model(x)[0].sum().backward()
        if rep:
            best = min(best, time.perf_counter() - start)
    return 1e3 * best


def operators(model, x):
    with torch.autograd.profiler.profile() as prof:
        model(x)[0].sum().backward()
    names = [e.name for e in prof.function_events if e.name.startswith("aten::")]
    fused = sorted({n for n in names if "mkldnn_rnn" in n})
    return len(names), fused


x_time = torch.randn(64, T_add, 2)
torch.manual_seed(0)
layers = {"nn.LSTM": nn.LSTM(2, H_add, batch_first=True),
          "nn.GRU": nn.GRU(2, H_add, batch_first=True),
          "our LSTM": LSTM(2, H_add, batch_first=True),
          "our GRU": GRU(2, H_add, batch_first=True)}
per_pass = {name: fwd_bwd_ms(m, x_time) for name, m in layers.items()}
ops = {name: operators(m, x_time) for name, m in layers.items()}
for name in layers:
    n_ops, fused = ops[name]
    print(f"{name:<9} forward + backward {per_pass[name]:6.2f} ms, {n_ops:5d} aten operators"
          + (f" (fused: {', '.join(fused)})" if fused else ""))

# %%
p_lstm, p_gru = runs["LSTM"][0]["params"], runs["GRU"][0]["params"]
ms = {k: np.mean([r["ms_per_step"] for r in v]) for k, v in runs.items()}
solved = {k: [r["solved"] for r in v] for k, v in runs.items()}
final = {k: np.mean([r["final"] for r in v]) for k, v in runs.items()}
lstm_fused, gru_fused = bool(ops["nn.LSTM"][1]), bool(ops["nn.GRU"][1])
gru_word = "slower" if ms["GRU"] > ms["LSTM"] else "faster"


def solved_text(steps):
    return ", ".join("not within the budget" if s is None else str(s) for s in steps)


display(Markdown(
    f"**Parameters:** the GRU's recurrent layer has **{p_gru}** against the LSTM's **{p_lstm}** "
    f"(ratio {p_gru / p_lstm:.2f}: three gate blocks against four). **Time per training step** "
    f"in the race: GRU **{ms['GRU']:.2f} ms**, LSTM **{ms['LSTM']:.2f} ms**, so the GRU was "
    f"{gru_word} here (this machine's CPU, torch {torch.__version__}, this run). "
    + (f"The reason is the implementation, not the maths: in this PyTorch build, on the CPU, "
       f"`nn.LSTM` is handed to one fused oneDNN operator (oneDNN has a fused LSTM and PyTorch "
       f"routes the CPU LSTM to it), while `nn.GRU` runs {ops['nn.GRU'][0]} small operators. "
       f"Between our own two loops, which share one style, the GRU took "
       f"{per_pass['our GRU'] / per_pass['our LSTM']:.2f} times the LSTM's time. On a GPU both "
       f"layers go to cuDNN's fused kernels, and the ranking can differ: measure there too. "
       if lstm_fused and not gru_fused and gru_word == "slower" else "")
    + f"**Steps to solve** (test MSE below {solved_at}): GRU {solved_text(solved['GRU'])}; "
    f"LSTM {solved_text(solved['LSTM'])} (seeds {', '.join(map(str, seeds))}). **Final test "
    f"MSE** after {budget} steps, mean over seeds: GRU {final['GRU']:.4f}, LSTM "
    f"{final['LSTM']:.4f}. One task, one length, two seeds: evidence about *this* setting. "
    f"Larger studies (Chung et al., 2014; Jozefowicz et al., 2015) found neither cell better "
    f"across the board; when it matters, race both on your own task and hardware, as here."))

# %% [markdown]
# **Inside the trained GRU.** Load the seed-0 GRU's weights into the course's `GRU`, which keeps
# its gate activations (`gates[0]["z"]`, `gates[0]["r"]`, each `(batch, T, H)`), and look at the
# update gate on test sequences. Pick a sequence and a range of units; the top panel shows the
# values and the two marked steps.

# %%
gru_trained = runs["GRU"][0]["model"]
probe = GRU(2, H_add, batch_first=True)
probe.load_state_dict(gru_trained.rnn.state_dict())
n_show = 8
with torch.no_grad():
    probe_out, _ = probe(x_test[:n_show])
    probe_diff = (probe_out - gru_trained.rnn(x_test[:n_show])[0]).abs().max().item()
print(f"course GRU vs the trained nn.GRU: max |difference| = {probe_diff:.1e} (float32)")
assert probe_diff < 1e-6
z_maps, r_maps = probe.gates[0]["z"].numpy(), probe.gates[0]["r"].numpy()
values, marks = x_test[:n_show, :, 0].numpy(), x_test[:n_show, :, 1].numpy()



def describe(k):
    pred = gru_trained(x_test[k:k + 1]).item()
    return f"sequence {k}: target {y_test[k].item():.3f}, GRU says {pred:.3f}"


GateExplorer([("update gate z", z_maps), ("reset gate r", r_maps)],
             [("value", values, {"color": "grey", "lw": 1}),
              ("marked", np.where(marks > 0, values, np.nan),
               {"ls": "none", "marker": "o", "color": "tab:red", "ms": 4})],
             describe, units=(0, 15), ylim=(-0.05, 1.1), legend_loc="upper right",
             title="The trained GRU's gates")

# %%
with torch.no_grad():
    probe(x_test)
marked = x_test[..., 1] > 0
z_all = probe.gates[0]["z"]
z_marked, z_other = z_all[marked].mean(0), z_all[~marked].mean(0)
unit = int((z_other - z_marked).argmax())
print(f"unit {unit}: update gate {z_marked[unit]:.2f} at marked steps, {z_other[unit]:.2f} at "
      f"the others (z = 1 keeps the old state)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Bidirectional and stacked RNNs
#
# Two ways to make a recurrent network bigger:
#
# - **Stacked** (`num_layers=2`): the second layer reads the first layer's outputs. More
#   computation per step; the information available at step t is unchanged.
# - **Bidirectional** (`bidirectional=True`): a second layer reads the sequence backwards, and
#   the output at step t joins both directions, so it depends on the *whole* sequence.
#
# A bidirectional layer is nothing new: two of our GRUs, one fed the reversed sequence. Check it
# against `nn.GRU(bidirectional=True)`, whose backward direction has the parameters
# `*_l0_reverse`:

# %%
torch.manual_seed(3)
bi = nn.GRU(n_in, H, bidirectional=True).double()
forward_dir, backward_dir = GRU(n_in, H).double(), GRU(n_in, H).double()
state = bi.state_dict()
forward_dir.load_state_dict({k: v for k, v in state.items() if not k.endswith("_reverse")})
backward_dir.load_state_dict({k[:-len("_reverse")]: v for k, v in state.items()
                              if k.endswith("_reverse")})
x = torch.randn(12, batch, n_in, dtype=torch.float64)
out_fwd, _ = forward_dir(x)
out_bwd, _ = backward_dir(x.flip(0))
ours_bi = torch.cat([out_fwd, out_bwd.flip(0)], dim=-1)  # re-reverse so step t lines up
bi_diff = (ours_bi - bi(x)[0]).abs().max().item()
print(f"two GRUs vs nn.GRU(bidirectional=True): output {tuple(ours_bi.shape)}, max |difference| "
      f"= {bi_diff:.1e}")
assert bi_diff < 1e-10

# %% [markdown]
# **A measured example.** A stream of random symbols (4 of them). Two tasks: at every step,
# output the symbol from 2 steps **back**, or the symbol 2 steps **ahead**. Three GRUs of width
# 24 train on each for the same 120 steps: one layer, two stacked layers, and one bidirectional
# layer. Accuracy is per step, on held-out streams; guessing scores 1/4.

# %%
V, T_tag, shift = 4, 20, 2


def tag_batch(n, g, direction):
    tokens = delay_task(n, T_tag, V, g)
    if direction == "back":  # y_t = token at t - 2, defined for t >= 2
        return one_hot(tokens, V), tokens[:, :-shift], slice(shift, None)
    return one_hot(tokens, V), tokens[:, shift:], slice(None, -shift)  # ahead: t <= T - 3


class StepTagger(nn.Module):
    def __init__(self, hidden=24, **gru_kw):
        super().__init__()
        self.rnn = nn.GRU(V, hidden, batch_first=True, **gru_kw)
        directions = 2 if gru_kw.get("bidirectional") else 1
        self.head = nn.Linear(directions * hidden, V)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


def tag_accuracy(direction, steps=120, **gru_kw):
    torch.manual_seed(0)
    model = StepTagger(**gru_kw)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(7)
    for _ in range(steps):
        x_b, y_b, keep = tag_batch(64, g, direction)
        logits = model(x_b)[:, keep]
        loss = nn.functional.cross_entropy(logits.reshape(-1, V), y_b.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    x_t_, y_t_, keep = tag_batch(500, torch.Generator().manual_seed(5), direction)
    with torch.no_grad():
        acc = (model(x_t_)[:, keep].argmax(-1) == y_t_).float().mean().item()
    return acc, sum(p.numel() for p in model.parameters())


variants = {"1 layer": {}, "2 stacked layers": {"num_layers": 2},
            "bidirectional": {"bidirectional": True}}
tagging = {(d, name): tag_accuracy(d, **kw) for d in ("back", "ahead")
           for name, kw in variants.items()}
print(f"{'':<18}{'params':>7}{'2 steps back':>14}{'2 steps ahead':>15}")
for name in variants:
    print(f"{name:<18}{tagging[('back', name)][1]:>7}{tagging[('back', name)][0]:>14.3f}"
          f"{tagging[('ahead', name)][0]:>15.3f}")

# %%
acc = {k: v[0] for k, v in tagging.items()}
back_min = min(acc[("back", n)] for n in variants)
one, stacked, both = (acc[("ahead", n)] for n in variants)
back_max = max(acc[("back", n)] for n in variants)
back_words = ("every variant scores **1.000** (every held-out step right):" if back_min == 1.0
              else f"every variant scores between **{back_min:.3f}** and **{back_max:.3f}**:")
# What the text below says, checked:
assert back_max - back_min < 0.02 and back_min > 0.95
assert one < 0.35 and stacked < 0.35 and both > 0.9
display(Markdown(
    f"Looking back, {back_words} the information is "
    f"there, and doubling the parameters (stacked or bidirectional) adds nothing. Looking "
    f"ahead, the one-layer GRU scores **{one:.3f}** and the stacked one **{stacked:.3f}**, near "
    f"chance (0.25): at step t no forward layer, however deep, has seen step t + 2. The "
    f"bidirectional GRU scores **{both:.3f}**. So: use a bidirectional layer when the whole "
    f"sequence is available before you answer and the answer depends on what comes later "
    f"(tagging a finished sentence); never when you must answer as the input arrives "
    f"(next-character prediction, streaming), where reading the future is cheating. Stack "
    f"layers for more computation per step, not for information the layer cannot see."))

# %% [markdown]
# **One label for a whole sequence.** Classifying a complete recording is different: there is
# one answer, given after the last step, and by then a forward layer has read everything. No
# information is missing. Can a bidirectional layer still help? Label each stream of 20 symbols
# with its *first* symbol, and read the answer from each direction's final state (`h_n`): the
# forward direction must carry the first symbol through 19 steps, the backward one read it last.
# Same width, steps and data as above.

# %%
class WholeSequence(nn.Module):
    """(batch, T, V) -> (batch, V) logits from the final state of each direction."""

    def __init__(self, hidden=24, bidirectional=False):
        super().__init__()
        self.rnn = nn.GRU(V, hidden, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear((2 if bidirectional else 1) * hidden, V)

    def forward(self, x):
        _, h_n = self.rnn(x)  # (directions, batch, hidden)
        return self.head(torch.cat(list(h_n), dim=-1))


def first_symbol_accuracy(bidirectional, steps=120):
    torch.manual_seed(0)
    model = WholeSequence(bidirectional=bidirectional)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(7)
    for _ in range(steps):
        tokens = delay_task(64, T_tag, V, g)
        loss = nn.functional.cross_entropy(model(one_hot(tokens, V)), tokens[:, 0])
        opt.zero_grad()
        loss.backward()
        opt.step()
    tokens = delay_task(500, T_tag, V, torch.Generator().manual_seed(5))
    with torch.no_grad():
        return (model(one_hot(tokens, V)).argmax(-1) == tokens[:, 0]).float().mean().item()


whole_uni, whole_bi = first_symbol_accuracy(False), first_symbol_accuracy(True)
print(f"label = first symbol of {T_tag}: one direction {whole_uni:.3f}, bidirectional "
      f"{whole_bi:.3f} (guessing: 0.25)")
assert whole_bi > whole_uni + 0.3  # what the text below says
display(Markdown(
    f"The bidirectional GRU scores **{whole_bi:.3f}**, the one-directional **{whole_uni:.3f}**, "
    f"although both had read the same symbols when they answered. The backward direction brings "
    f"no new information here; it brings a *short path*: it reads the first symbol at its last "
    f"step, just before its final state, where the forward direction must keep it for "
    f"{T_tag - 1} steps, "
    f"and lesson 04 showed what long paths do to the gradient. So a bidirectional layer helps "
    f"in two cases: when the answer at a step depends on later steps (the tagging task above), "
    f"and when the whole sequence is available and a shorter path to some inputs makes them "
    f"easier to learn."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Pitfalls
#
# - *"The GRU's reset gate multiplies `h` before the matrix product."* In the paper, yes; in
#   `nn.GRU` and cuDNN it multiplies `W_hn h + b_hn`, and section 2 measured the difference.
# - *"`z = 1` means update."* In PyTorch's formula `z = 1` keeps the old state; some texts swap
#   `z` and `1 - z`. Read the formula of the library you use.
# - *"A bidirectional model is just a bigger model."* It answers a different question (it sees
#   the future), which helps only where that is allowed and useful: section 5.
#
# ## 7. Quiz

# %%
quiz.show("update-gate")

# %%
quiz.show("reset-gate")

# %%
quiz.show("gru-params")

# %%
quiz.show("choose-cell")

# %%
quiz.show("bidirectional-when")

# %%
quiz.show("stacking-missing-info")

# %%
quiz.score()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: parameters of a stacked, bidirectional GRU
# Write `gru_param_count(input_size, hidden_size, num_layers, bidirectional)` returning the
# number of parameters of `nn.GRU(input_size, hidden_size, num_layers,
# bidirectional=bidirectional)` (with biases). Careful: above layer 0, a bidirectional layer
# reads both directions of the layer below.

# %% slideshow={"slide_type": "skip"}
def gru_param_count(input_size, hidden_size, num_layers, bidirectional):
    ### BEGIN SOLUTION
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        width = input_size if layer == 0 else directions * hidden_size
        per_direction = 3 * hidden_size * (width + hidden_size) + 2 * 3 * hidden_size
        total += directions * per_direction
    return total
    ### END SOLUTION


# %%
check("l06.gru_param_count", gru_param_count)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Summary
#
# - The GRU blends old state and candidate with one update gate (`z = 1` keeps the old value);
#   its reset gate scales `W_hn h + b_hn` in PyTorch's form. Ours matches `nn.GRU` to rounding
#   error, gradients included.
# - It has three gate blocks to the LSTM's four: three quarters of the parameters. Fewer
#   parameters need not mean a faster step: the time per step depends on the kernels your
#   library has (section 4 counted them), and which cell learns faster is a question to measure
#   on your task, not to settle by rule.
# - Bidirectional layers read the future: decisive when the answer at a step depends on it; for
#   one label on a complete sequence they add no information but a shorter path to the early
#   inputs, which helped in section 5; unusable (or cheating) when you must answer as the input
#   arrives. Stacking adds computation, not information.
# - Not covered yet: regularising recurrent networks (dropout between layers and on the
#   non-recurrent connections, weight decay, early stopping on held-out data). It comes in lesson
#   07, where the models first meet held-out data and can overfit it.
#
# %%
display(Markdown(next_lesson(6, "trains these cells on real text, and regularises them")))
