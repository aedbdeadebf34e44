# %% [markdown] slideshow={"slide_type": "slide"}
# # 02 · The hidden-state recurrence
#
# **You will be able to**
# - write the RNN step `h_t = f(W_xh x_t + W_hh h_{t-1} + b)`, unroll it over time and stack it
#   in layers, and prove it computes exactly what `torch.nn.RNN` computes;
# - read `nn.RNN`'s two outputs, fit the four shapes of sequence problems to one model, and batch
#   sequences of different lengths without changing the answer;
# - train a character-level language model, sample from it greedily and with a temperature, and
#   swap its RNN for an LSTM or a GRU.
#
# **Prerequisites:** lesson 01 (a dense layer `f(x Wᵀ + b)`, why order needs a state), PyTorch
# tensors and `nn.Module`.
# **Run time:** about 20 seconds on a 2-core laptop CPU.

# %% slideshow={"slide_type": "skip"}
# %matplotlib widget
import math

import numpy as np
import torch
from IPython.display import Markdown, display
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

from rnnlab import data, text
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.explorers import HiddenStateExplorer
from rnnlab.models import RNN
from rnnlab.quiz import Quiz
from rnnlab.train import fit, seed_everything
from rnnlab.widgets import canvas_widget, figure

quiz = Quiz("l02")
gen = seed_everything(0)  # also sets one CPU thread: faster for models this small

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea
#
# Lesson 01 ended with a recurrence on a single number. A recurrent neural network (RNN) does the
# same with vectors: it keeps a **hidden state** `h`, and at every step mixes the new input `x_t`
# into it with two weight matrices and a bias,
#
# `h_t = f(W_xh x_t + W_hh h_{t-1} + b)`, with `f = tanh` (or `relu`) and `h_0 = 0` by default.
#
# `W_xh` maps input to hidden, `W_hh` maps the previous state to the new one. The **same**
# `W_xh`, `W_hh` and `b` are used at every step, which is why one network reads sequences of any
# length. Drawn out ("unrolled") over four steps:

# %%
fig, ax = figure(figsize=(7.0, 2.6))
ax.set_axis_off()
ax.set_xlim(-0.5, 4.6)
ax.set_ylim(-0.35, 2.35)
state_box = {"boxstyle": "round,pad=0.35", "fc": "#dbe9f6", "ec": "#1f4e79"}
plain_box = {"boxstyle": "round,pad=0.35", "fc": "white", "ec": "grey"}
arrow = {"arrowstyle": "->", "color": "#333"}
ax.text(0, 1.2, "$h_0$", ha="center", va="center", bbox=plain_box)
for t in range(1, 5):
    ax.text(t, 1.2, f"$h_{t}$", ha="center", va="center", bbox=state_box)
    ax.text(t, 0.0, f"$x_{t}$", ha="center", va="center", bbox=plain_box)
    ax.text(t, 2.15, f"$y_{t}$", ha="center", va="center", bbox=plain_box)
    ax.annotate("", xy=(t, 0.95), xytext=(t, 0.22), arrowprops=arrow)
    ax.annotate("", xy=(t, 1.95), xytext=(t, 1.45), arrowprops=arrow)
    ax.annotate("", xy=(t - 0.22, 1.2), xytext=(t - 0.78, 1.2), arrowprops=arrow)
    ax.text(t + 0.06, 0.58, "$W_{xh}$", fontsize=9, color="#1f4e79")
    ax.text(t - 0.5, 1.33, "$W_{hh}$", fontsize=9, ha="center", color="#b35900")
ax.set_title(r"$h_t = \tanh(W_{xh}\,x_t + W_{hh}\,h_{t-1} + b)$: "
             "the same weights at every step", fontsize=10)
canvas_widget(fig)

# %% [markdown]
# Each `y_t` is whatever we read off the state: a class, a number, the next character. The
# state is the network's only memory: what it does not keep in `h`, no later step can see.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Build it from scratch
#
# Names mirror the maths: `x_t` is the input at step `t`, `h_prev` is `h_{t-1}`. A batch of
# inputs is a matrix with one row per sequence, `(batch, input_size)`, and PyTorch stores a
# weight as `(out, in)`, so `W_xh x_t` becomes `x_t @ W_xh.T` (as in lesson 01's dense layer).
# `W_xh` is what PyTorch calls `weight_ih_l0`; from lesson 04 on the course uses PyTorch's name,
# `W_ih` (the start page's *Notation* table lists every symbol).
#
# **One step.**

# %%
def rnn_cell(x_t, h_prev, W_xh, W_hh, b, f=torch.tanh):
    """h_t = f(W_xh x_t + W_hh h_prev + b).
    x_t (batch, input_size), h_prev (batch, hidden), W_xh (hidden, input_size),
    W_hh (hidden, hidden), b (hidden,) -> h_t (batch, hidden)."""
    return f(x_t @ W_xh.T + h_prev @ W_hh.T + b)


input_size, hidden, batch = 3, 5, 2
W_xh = torch.randn(hidden, input_size, dtype=torch.float64, generator=gen) * 0.5
W_hh = torch.randn(hidden, hidden, dtype=torch.float64, generator=gen) * 0.5
b = torch.zeros(hidden, dtype=torch.float64)
x_t = torch.randn(batch, input_size, dtype=torch.float64, generator=gen)
h_prev = torch.zeros(batch, hidden, dtype=torch.float64)
print("h_1 =", rnn_cell(x_t, h_prev, W_xh, W_hh, b))


# %% [markdown]
# **Unrolled over time.** The loop *is* the unrolled picture: the same cell, the same weights,
# the state handed from one step to the next. We follow PyTorch's default layout, time first:
# `(seq_len, batch, features)`.

# %%
def rnn_layer(xs, h0, W_xh, W_hh, b, f=torch.tanh):
    """xs (seq_len, batch, input_size), h0 (batch, hidden)
    -> hs (seq_len, batch, hidden): every h_t, and h_last (batch, hidden)."""
    h = h0
    hs = []
    for x_t in xs:  # iterating over a tensor walks its first dimension: time
        h = rnn_cell(x_t, h, W_xh, W_hh, b, f)
        hs.append(h)
    return torch.stack(hs), h


# %% [markdown]
# **Stacked in layers.** A second layer reads the first layer's states `h_1 ... h_T` as *its*
# input sequence, and so on up. What comes out is the top layer's state at every step, plus the
# last state of every layer.

# %%
def rnn_stack(xs, h0, layers, f=torch.tanh):
    """xs (seq_len, batch, input_size); h0 (num_layers, batch, hidden);
    layers: one (W_xh, W_hh, b) per layer.
    -> output (seq_len, batch, hidden): the top layer's h_t at every step,
       h_n (num_layers, batch, hidden): the last h_t of each layer."""
    finals = []
    for l, (W_xh, W_hh, b) in enumerate(layers):
        xs, h_last = rnn_layer(xs, h0[l], W_xh, W_hh, b, f)
        finals.append(h_last)
    return xs, torch.stack(finals)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Check it against PyTorch
#
# `nn.RNN` stores, per layer `l`, `weight_ih_l{l}` (our `W_xh`), `weight_hh_l{l}` (our `W_hh`)
# and **two** bias vectors, `bias_ih_l{l}` and `bias_hh_l{l}`. They are only ever added
# together (in `nn.RNN`; a GRU, lesson 06, is different), so our single `b` is their sum
# (section 9 shows that only the sum matters). We copy a 2-layer `nn.RNN`'s weights into our
# functions and compare, in float64 so that only real mistakes, not rounding, can make them
# differ; then in float32, where rounding alone makes small differences (the tolerances are the
# ones this course uses for each precision).

# %%
def layers_of(rnn):
    """nn.RNN's parameters as our list of (W_xh, W_hh, b), one tuple per layer."""
    return [(getattr(rnn, f"weight_ih_l{l}"), getattr(rnn, f"weight_hh_l{l}"),
             getattr(rnn, f"bias_ih_l{l}") + getattr(rnn, f"bias_hh_l{l}"))
            for l in range(rnn.num_layers)]


def max_diff(pairs):
    return max((a - b).abs().max().item() for a, b in pairs)


for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 1e-6)):
    for f, name in ((torch.tanh, "tanh"), (torch.relu, "relu")):
        ref = nn.RNN(4, 6, num_layers=2, nonlinearity=name, dtype=dtype)
        xs = torch.randn(7, 3, 4, dtype=dtype, generator=gen)
        h0 = torch.randn(2, 3, 6, dtype=dtype, generator=gen)
        with torch.no_grad():
            out_ref, hn_ref = ref(xs, h0)
            out, hn = rnn_stack(xs, h0, layers_of(ref), f)
        diff = max_diff([(out, out_ref), (hn, hn_ref)])
        print(f"{'✔' if diff < tol else '✘'} rnn_stack vs nn.RNN ({str(dtype)[6:]}, {name}, "
              f"2 layers): max |difference| = {diff:.1e} (tolerance {tol:.0e})")
        assert diff < tol and torch.allclose(out, out_ref, atol=tol), "rnn_stack != nn.RNN"

# %% [markdown]
# **The course's own RNN.** The same step-by-step computation, packaged as a module, lives in
# `rnnlab.models.RNN` so later lessons can look inside it. It takes `nn.RNN`'s arguments and
# parameter names, so it loads an `nn.RNN`'s `state_dict` and must then give the same outputs,
# for every option: layers, `relu`, no bias, `batch_first`, a given or a default `h0`.

# %%
for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 1e-6)):
    worst = 0.0
    for layers, name, bias, batch_first, give_h0 in [(1, "tanh", True, False, False),
                                                     (3, "tanh", True, True, True),
                                                     (2, "relu", False, False, True),
                                                     (2, "tanh", True, True, False)]:
        kw = dict(num_layers=layers, nonlinearity=name, bias=bias, batch_first=batch_first)
        ref = nn.RNN(4, 6, dtype=dtype, **kw)
        ours = RNN(4, 6, dtype=dtype, **kw)
        ours.load_state_dict(ref.state_dict())
        xs = torch.randn(5, 9, 4, dtype=dtype, generator=gen)
        h0 = torch.randn(layers, 5 if batch_first else 9, 6, dtype=dtype, generator=gen)
        with torch.no_grad():
            pairs = list(zip(ours(xs, h0 if give_h0 else None),
                             ref(xs, h0 if give_h0 else None), strict=True))
        worst = max(worst, max_diff(pairs))
    print(f"{'✔' if worst < tol else '✘'} rnnlab.models.RNN vs nn.RNN ({str(dtype)[6:]}, "
          f"4 configurations): max |difference| = {worst:.1e} (tolerance {tol:.0e})")
    assert worst < tol, "rnnlab.models.RNN != nn.RNN"

# %% [markdown]
# Unlike `nn.RNN`, whose fused kernel keeps its intermediate states to itself,
# `rnnlab.models.RNN` keeps every `h_t` of every layer in `hidden_states[layer][t]`. The top
# layer's list is exactly the `output` tensor, step by step:

# %%
out, h_n = ours(xs)
top = torch.stack(ours.hidden_states[-1], dim=1)  # batch_first: stack along dim 1
print(f"{len(ours.hidden_states)} layers × {len(ours.hidden_states[0])} steps kept; "
      f"top layer equals output: {torch.equal(top, out)}")
assert torch.equal(top, out)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Reading `nn.RNN`'s two outputs
#
# `output, h_n = rnn(x)` returns two tensors that overlap:
# - `output`: the **top layer's** state at **every step**, `(seq_len, batch, hidden)`;
# - `h_n`: the **last step's** state of **every layer**, `(num_layers, batch, hidden)`.
#
# So the last row of `output` is the last row of `h_n`. A small example with 2 layers, 6 steps
# and a batch of 3:

# %%
rnn = nn.RNN(input_size=4, hidden_size=5, num_layers=2)
x = torch.randn(6, 3, 4, generator=gen)  # (seq_len, batch, input_size)
output, h_n = rnn(x)
print("x:     ", tuple(x.shape), "  (seq_len, batch, input_size)")
print("output:", tuple(output.shape), "  (seq_len, batch, hidden): top layer, every step")
print("h_n:   ", tuple(h_n.shape), "  (num_layers, batch, hidden): every layer, last step")
print("output[-1] equals h_n[-1] (top layer, last step):", torch.equal(output[-1], h_n[-1]))
print("output[-1] equals h_n[0]  (bottom layer):        ", torch.equal(output[-1], h_n[0]))
assert torch.equal(output[-1], h_n[-1])

# %% [markdown]
# The bottom layer's states at steps `1 ... T-1` are not returned at all by `nn.RNN`; that is
# one reason this course keeps its own `rnnlab.models.RNN`.
#
# ## 5. Four shapes of sequence problems
#
# The same recurrence serves four kinds of task. What changes is where inputs go in and which
# `h_t` we read answers from. One small model does all four: an `nn.RNN` with a linear read-out
# applied to every `h_t`, `y_t = W_hy h_t + b_y`.

# %%
class SeqModel(nn.Module):
    """nn.RNN plus a linear read-out of every state.
    x (batch, seq_len, n_in) -> y (batch, seq_len, n_out); each task picks the steps it needs."""

    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.rnn = nn.RNN(n_in, n_hidden, batch_first=True)
        self.head = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        states, _ = self.rnn(x)
        return self.head(states)


def train_task(model, batch_fn, loss_fn, steps=200):
    """A few hundred steps of Adam; returns the loss of the first and the last step."""
    hist = fit(model, batch_fn, loss_fn, steps=steps, lr=1e-2, progress=False)
    return hist["loss"][0], hist["loss"][-1]


# %% [markdown]
# **One-to-one:** one input, one output, e.g. `y = |x|`. A sequence of length 1. With `h_0 = 0`
# the term `W_hh h_0` vanishes and the RNN is exactly a dense layer, `tanh(W_xh x + b)`: the
# recurrence has nothing to do. We check that by zeroing `W_hh` after training.

# %%
def abs_batch(_step):
    x = torch.rand(64, 1, 1, generator=gen) * 4 - 2  # (batch, seq_len=1, 1)
    return x, x.abs()


torch.manual_seed(1)
one_one = SeqModel(1, 16, 1)
first, last = train_task(one_one, abs_batch, lambda m, x, y: F.mse_loss(m(x), y))
x, y = abs_batch(0)
with torch.no_grad():
    before = one_one(x)
    one_one.rnn.weight_hh_l0.zero_()
    w_hh_effect = (one_one(x) - before).abs().max().item()
print(f"one-to-one:  x {tuple(x.shape)} -> y {tuple(before.shape)}; MSE {first:.3f} -> {last:.4f}")
print(f"  change of the output when W_hh is set to zero: {w_hh_effect}")
assert w_hh_effect == 0.0


# %% [markdown]
# **One-to-many:** one input, a sequence out, e.g. a caption from one image. Here: a digit `d`
# from 0 to 4 at the first step (zeros after it), and the model must count on from it,
# `d, d+1, d+2, ...` modulo 5, for 6 steps. Everything after the first step comes from the state.
# (Another common choice feeds the single input in as `h_0`.)

# %%
def count_batch(_step, steps=6, k=5):
    d = torch.randint(0, k, (64,), generator=gen)
    x = torch.zeros(64, steps, k)
    x[:, 0] = F.one_hot(d, k).float()  # the one input, at step 1 only
    return x, (d[:, None] + torch.arange(steps)) % k


torch.manual_seed(2)
one_many = SeqModel(5, 16, 5)
first, last = train_task(one_many, count_batch,
                         lambda m, x, y: F.cross_entropy(m(x).reshape(-1, 5), y.reshape(-1)))
x, y = count_batch(0)
with torch.no_grad():
    acc = (one_many(x).argmax(-1) == y).float().mean().item()
print(f"one-to-many: x {tuple(x.shape)} -> y {tuple(y.shape)}; loss {first:.3f} -> {last:.4f}, "
      f"accuracy on a fresh batch {acc:.3f}")
print("  starting from 3, the model says:", one_many(x[y[:, 0] == 3][:1]).argmax(-1)[0].tolist())


# %% [markdown]
# **Many-to-one:** a sequence in, one answer out, e.g. the sentiment of a review. Here: are more
# than half of 9 bits ones? We read only the last output, `y_T`; every earlier step just updates
# the state.

# %%
def majority_batch(_step, length=9):
    bits = torch.randint(0, 2, (64, length), generator=gen)
    return bits[..., None].float(), (bits.sum(1) > length // 2).long()


torch.manual_seed(3)
many_one = SeqModel(1, 16, 2)
first, last = train_task(many_one, majority_batch,
                         lambda m, x, y: F.cross_entropy(m(x)[:, -1], y))
x, y = majority_batch(0)
with torch.no_grad():
    acc = (many_one(x)[:, -1].argmax(-1) == y).float().mean().item()
print(f"many-to-one: x {tuple(x.shape)} -> y {tuple(y.shape)}; loss {first:.3f} -> {last:.4f}, "
      f"accuracy on a fresh batch {acc:.3f}")


# %% [markdown]
# **Many-to-many, aligned:** one output per input, e.g. tagging each word. Here: at every step,
# output the symbol seen one step *earlier* (`data.delay_task`, 4 symbols). The answer at step
# `t` is no longer in the input at step `t`; it must have been kept in the state.

# %%
def echo_batch(_step, vocab=4):
    tokens = data.delay_task(64, 12, vocab, gen)
    return data.one_hot(tokens, vocab), tokens


def echo_loss(m, x, y):  # step t predicts the symbol of step t-1; step 0 has no target
    return F.cross_entropy(m(x)[:, 1:].reshape(-1, 4), y[:, :-1].reshape(-1))


torch.manual_seed(4)
many_many = SeqModel(4, 16, 4)
first, last = train_task(many_many, echo_batch, echo_loss)
x, y = echo_batch(0)
with torch.no_grad():
    acc = (many_many(x)[:, 1:].argmax(-1) == y[:, :-1]).float().mean().item()
print(f"many-to-many: x {tuple(x.shape)} -> y {tuple(y.shape)}; loss {first:.3f} -> {last:.4f}, "
      f"accuracy on a fresh batch {acc:.3f}")

# %% [markdown]
# A fifth shape, **many-to-many with different lengths** (translation, summarising), needs the
# whole input read before the first output is written: an encoder RNN and a decoder RNN.
# That is lesson 08.
#
# ## 6. Any length, and batches of different lengths
#
# Nothing in `W_xh`, `W_hh` or `b` depends on the sequence length, so the same model reads 5 steps
# or 500.

# %%
rnn = nn.RNN(input_size=1, hidden_size=4, dtype=torch.float64)
n_params = sum(p.numel() for p in rnn.parameters())
for steps in (5, 500):
    x = torch.randn(steps, 1, 1, dtype=torch.float64, generator=gen)
    output, h_n = rnn(x)
    print(f"{steps:>3} steps: output {tuple(output.shape)}, h_n {tuple(h_n.shape)}, "
          f"parameters {n_params}")

# %% [markdown]
# "An RNN needs no padding" is true **one sequence at a time**. A batch is one rectangular
# tensor, and sequences of lengths 5, 3 and 2 do not stack into one:

# %%
lengths = torch.tensor([5, 3, 2])
seqs = [torch.randn(int(n), 1, dtype=torch.float64, generator=gen) for n in lengths]
try:
    torch.stack(seqs, dim=1)
except RuntimeError as err:
    print("RuntimeError:", str(err).splitlines()[0])

# %% [markdown]
# So we pad the short ones with zeros to the longest length. The right answer for each sequence
# is what the RNN gives when it reads that sequence **alone**. Compare three ways of reading the
# padded batch: the plain padded tensor, the same tensor packed with `pack_padded_sequence`
# (which tells the RNN each sequence's length, so it stops each one at its own end), and the plain
# padded run but reading each output at the sequence's own last step.

# %%
with torch.no_grad():
    alone = torch.stack([rnn(s)[1][0] for s in seqs])  # (3, hidden): each read by itself
    padded = pad_sequence(seqs)  # (5, 3, 1), zeros after each sequence's end
    out_pad, h_pad = rnn(padded)
    packed = pack_padded_sequence(padded, lengths, enforce_sorted=False)
    _, h_packed = rnn(packed)
last_real = out_pad[lengths - 1, torch.arange(3)]  # output at step length-1 of each sequence

print("length | naive h_n vs alone | packed h_n vs alone | output[length-1] vs alone")
for i, n in enumerate(lengths.tolist()):
    print(f"{n:>6} | {(h_pad[0, i] - alone[i]).abs().max().item():18.2e} | "
          f"{(h_packed[0, i] - alone[i]).abs().max().item():19.2e} | "
          f"{(last_real[i] - alone[i]).abs().max().item():.2e}")
assert torch.allclose(h_packed[0], alone, atol=1e-12) and torch.allclose(last_real, alone)
assert (h_pad[0, 1:] - alone[1:]).abs().max() > 1e-3

# %% [markdown]
# The naive final state is wrong for both short sequences: a zero input is not "nothing", since
# `tanh(W_hh h + b)` keeps moving the state on every padding step. Packing gives each sequence's
# true final state. For a one-directional RNN the outputs at real steps are already right (they
# only depend on earlier steps), so picking `output[length - 1]` also works; for a bidirectional
# RNN it does not, because the backward direction reads the padding first (section 9 shows it).
#
# ## 7. A character-level language model
#
# Now a real use of many-to-many: predict the **next character** at every step. Our data is one
# paragraph written for this course, `rnnlab.text.COURSE_TEXT`. The vocabulary is its set of
# characters, and each character is fed in as a one-hot vector `x_t`, so `W_xh x_t` simply picks
# the column of `W_xh` that belongs to that character.

# %%
vocab = text.Vocab(text.COURSE_TEXT)
ids = vocab.encode(text.COURSE_TEXT)
V = len(vocab)
print(text.COURSE_TEXT[:120] + "...")
print(f"{len(ids)} characters, vocabulary of {V}: {''.join(vocab.chars)!r}")

# %% [markdown]
# **Baselines first.** Before training, what would counting achieve? Guessing uniformly costs
# `log V` nats per character; using each character's frequency (unigram) costs less; using the
# frequency of each character *after the previous one* (bigram) less still. A model that does not
# beat the bigram has learnt nothing a table of pair counts could not.
#
# Three units for the same number, all common: **nats** per character (the cross-entropy with
# the natural log, what `F.cross_entropy` returns), **bits per character** (bpc, the same with
# log base 2: nats / ln 2) and **perplexity**, `e^nats = 2^bpc`: a model with perplexity 12 is
# as unsure as if it chose uniformly among 12 characters. Uniform guessing has perplexity `V`.

# %%
def units(nats):
    """(nats, bits per character, perplexity) of a cross-entropy in nats."""
    return nats, nats / math.log(2), math.exp(nats)


baselines = text.baseline_losses(ids, V)
for name, value in baselines.items():
    print(f"{name:>8} baseline: {value:.3f} nats = {units(value)[1]:.3f} bits per character, "
          f"perplexity {units(value)[2]:.2f}")
assert abs(units(baselines["uniform"])[2] - V) < 1e-9  # uniform: perplexity = vocabulary size
assert baselines["bigram"] < baselines["unigram"] < baselines["uniform"]  # "less", "less still"


# %% [markdown]
# The model: one-hot characters in, an RNN, a linear read-out of every state to `V` logits.
# It follows the contract of `text.sample`: `model(ids, h) -> (logits, h)`, so that sampling can
# carry the state from one call to the next. The recurrent layer is an argument, for later.

# %%
class CharLM(nn.Module):
    """ids (batch, seq_len) int64, h (or None) -> logits (batch, seq_len, V), new state."""

    def __init__(self, vocab_size, hidden=64, layer=nn.RNN):
        super().__init__()
        self.vocab_size = vocab_size
        self.rnn = layer(vocab_size, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids, h=None):
        states, h = self.rnn(F.one_hot(ids, self.vocab_size).float(), h)
        return self.head(states), h


def lm_loss(model, inputs, targets):
    logits, _ = model(inputs)
    return F.cross_entropy(logits.reshape(-1, model.vocab_size), targets.reshape(-1))


def train_lm(layer, steps=250):
    """Same seed, same data, same steps for every layer type; returns the model and its history."""
    data_gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    model = CharLM(V, 64, layer)
    hist = fit(model, lambda _s: text.random_windows(ids, 32, 32, data_gen), lm_loss,
               steps=steps, lr=1e-2, progress=False)
    return model, hist


@torch.no_grad()
def text_loss(model):
    """Loss on the whole paragraph, read in one pass from its first character."""
    logits, _ = model(ids[None, :-1])
    return F.cross_entropy(logits[0], ids[1:]).item()


# %%
rnn_lm, rnn_hist = train_lm(nn.RNN)
rnn_text = text_loss(rnn_lm)
print(f"RNN: training loss {rnn_hist['loss'][0]:.3f} -> {np.mean(rnn_hist['loss'][-20:]):.3f} "
      f"(mean of the last 20 steps); whole-text loss {rnn_text:.3f} nats = "
      f"{units(rnn_text)[1]:.3f} bpc, perplexity {units(rnn_text)[2]:.2f}, vs bigram "
      f"{baselines['bigram']:.3f} nats (perplexity {units(baselines['bigram'])[2]:.2f})")
assert rnn_text < 0.5 * baselines["bigram"]  # "far below the bigram", checked

# %% [markdown]
# Far below the bigram (less than half its loss): after a few hundred steps on one short
# paragraph the model has mostly **memorised** it. (This is a loss on the text it trained on;
# lesson 07 measures on held-out text, and regularises against exactly this.)
#
# **Teacher forcing, and generating.** Look at how it was trained: at every step the input was
# the *true* previous character, whatever the model would have predicted there. That is
# **teacher forcing**, and it is how almost every sequence model is trained, because every step
# of a window can then be computed in one pass. Generation is different: the model is fed its
# *own* previous output (it runs "free"). During training it never saw its own mistakes, so one
# wrong character puts it in states it was not trained on, and the errors can compound: this
# mismatch is called **exposure bias** (Ranzato et al., 2016; Bengio et al., 2015 proposed
# *scheduled sampling* against it). Lesson 08 builds on both. The cell below measures the gap on
# the training paragraph itself: next-character accuracy with the true prefix, against greedy
# generation started from the paragraph's first 4 characters.

# %%
with torch.no_grad():
    logits_tf, _ = rnn_lm(ids[None, :-1])
n_prompt = 4
forced_right = (logits_tf[0].argmax(-1) == ids[1:])[n_prompt - 1:]  # positions n_prompt..
forced_acc = forced_right.double().mean().item()
free = vocab.encode(text.sample(rnn_lm, vocab, text.COURSE_TEXT[:n_prompt], len(ids) - n_prompt))
agree = (free == ids)[n_prompt:]
first_miss = n_prompt + int((~agree).nonzero()[0]) if (~agree).any() else len(ids)
after_miss = agree[first_miss - n_prompt + 1:].double().mean().item()
print(f"teacher forcing: next character right at {forced_acc:.1%} of positions "
      f"{n_prompt}..{len(ids) - 1} ({int((~forced_right).sum())} mistakes)")
print(f"free running (greedy, from the first {n_prompt} characters): first wrong character at "
      f"position {first_miss}; after it, {after_miss:.1%} of positions agree with the paragraph")
assert after_miss < 0.5 < forced_acc  # what the text below says
assert not forced_right[first_miss - n_prompt]  # its first free mistake is a forced one too

# %% [markdown]
# With the true prefix the model is right almost everywhere, and each of its few mistakes is
# repaired at the next step, because the next input is the truth again. Left to itself it
# follows the paragraph until its first mistake (one of the few it also makes with the true
# prefix), and from there on it reads its own text, never the paragraph's: few later positions
# line up.
#
# **Sampling.** Generation feeds the model its own output: read a prompt, turn the last logits
# into a probability over the next character, pick one, feed it back in with the carried state.
# *Greedy* decoding always picks the most likely character; sampling with a **temperature** `τ`
# draws from `softmax(logits / τ)`. (The course keeps `T` for a sequence's length.) Here is what
# `τ` does to the model's prediction after the prompt `"the "`:

# %%
with torch.no_grad():
    logits, _ = rnn_lm(vocab.encode("the ")[None])
last = logits[0, -1]
top = last.topk(4).indices
print("τ      " + "  ".join(f"{vocab.chars[i]!r:>6}" for i in top) + "   entropy (nats)")
entropies = []
for temp in (0, 0.5, 1.0, 2.0, 10.0):
    p = text.next_char_probs(last, temp)
    entropy = -(p[p > 0] * p[p > 0].log()).sum().item() + 0.0  # + 0.0 turns -0.0 into 0.0
    entropies.append(entropy)
    print(f"{temp:<5}  " + "  ".join(f"{p[i].item():6.3f}" for i in top) + f"   {entropy:.3f}")
# sharper to flatter as τ grows, towards log V (never above it)
assert entropies == sorted(entropies) and entropies[0] == 0 and entropies[-1] <= math.log(V)

# %% [markdown]
# Low `τ` sharpens the distribution towards greedy (`τ = 0`); `τ = 1` is the model's own
# distribution; high `τ` flattens it towards uniform (entropy `log V`). Samples of 120 characters:

# %%
def replayed(sample_text):
    """How many leading characters of a sample appear, in one piece, in the paragraph."""
    n = 0
    while n < len(sample_text) and sample_text[:n + 1] in text.COURSE_TEXT:
        n += 1
    return n


samples = {}
for temp in (0, 0.5, 1.0, 1.5):
    sample_gen = torch.Generator().manual_seed(0)
    samples[temp] = text.sample(rnn_lm, vocab, 'the ', 120, temp, sample_gen)
    print(f"τ = {temp}: {samples[temp]!r}")
print("characters copied in one piece from the paragraph: "
      + ", ".join(f"τ = {temp}: {replayed(sm)}" for temp, sm in samples.items()))
# greedy mostly replays the paragraph; the hottest sample leaves it sooner
assert replayed(samples[0]) > 60 and replayed(samples[1.5]) < replayed(samples[0])

# %% [markdown]
# Greedy decoding is deterministic (it needs no random generator) and here mostly replays the
# paragraph; higher temperatures splice pieces of it together and then drift into misspelt,
# made-up words.
#
# **Swap the recurrent layer.** `nn.LSTM` and `nn.GRU` (lessons 05 and 06) take the same
# arguments and return `(output, state)` the same way, so nothing else changes: same data, seed,
# steps and learning rate. Note they are not the same size: an LSTM has four weight blocks per
# layer and a GRU three, against the RNN's one.

# %%
lms = {"RNN": (rnn_lm, rnn_hist)}
for name, layer in (("LSTM", nn.LSTM), ("GRU", nn.GRU)):
    lms[name] = train_lm(layer)
rows, lm_loss_of = [], {}
for name, (model, hist) in lms.items():
    n_params = sum(p.numel() for p in model.parameters())
    lm_loss_of[name] = text_loss(model)
    nats, bpc, ppl = units(lm_loss_of[name])
    rows.append(f"| {name} | {n_params:,} | {np.mean(hist['loss'][-20:]):.3f} | "
                f"{nats:.3f} | {bpc:.3f} | {ppl:.2f} |")
    print(f"{name:>4}: greedy {text.sample(model, vocab, 'the ', 60)!r}")
assert max(lm_loss_of.values()) < 0.5 * baselines["bigram"]  # "all three memorise well"
nats, bpc, ppl = units(baselines["bigram"])
display(Markdown(
    "| model | parameters | training loss (nats, last 20 steps) | whole-text loss (nats) | bits "
    "per character | perplexity |\n"
    "| --- | --- | --- | --- | --- | --- |\n" + "\n".join(rows) +
    f"\n| bigram counts | {V * V:,} | | {nats:.3f} | {bpc:.3f} | {ppl:.2f} |"))

# %% [markdown]
# On a paragraph this short all three memorise well within the budget; which one wins here says
# little about longer texts, and they have different parameter counts. Lessons 05 and 06 compare
# them where memory over many steps matters.
#
# ## 8. Experiment: the hidden state over time
#
# Type some text (only characters from the paragraph's vocabulary) or pick an example, and pick
# a trained model. The top panel shows its hidden state `h_t`, one column per character and one
# row per unit, coloured from −1 to +1; the bottom panel shows the probability the model gave to
# the character that actually came next. Compare a phrase from the paragraph with new words made
# of the same letters (the table after the plot does it for every example and model).

# %%
examples = {"from the paragraph": "the state is all the network remembers",
            "new words, same letters": "a small cat reads the weights at night",
            "one letter, repeated": "aaaaaaaaaaaaaaaaaaaaaaaa",
            "reversed": "srebmemer krowten eht lla si etats eht"}


@torch.no_grad()
def states_and_p_next(model, seq):
    """seq (T,) ids -> every h_t (T, hidden), and p(true next character) at steps 1..T-1."""
    states, _ = model.rnn(F.one_hot(seq[None], V).float())
    probs = torch.softmax(model.head(states[0]), dim=-1)  # (T, V)
    return states[0], probs[torch.arange(len(seq) - 1), seq[1:]]


HiddenStateExplorer({name: model for name, (model, _) in lms.items()}, vocab, examples,
                    states_and_p_next, max_chars=120)


# %% [markdown]
# The same measurement as the plot's title, for every example: the mean probability each model
# gives to the true next character.

# %%
print(f"{'example':<26}" + "".join(f"{name:>7}" for name in lms))
for label, example in examples.items():
    seq = vocab.encode(example)
    cells = [states_and_p_next(model, seq)[1].mean().item() for model, _ in lms.values()]
    print(f"{label:<26}" + "".join(f"{c:7.2f}" for c in cells))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Pitfalls, by computation
#
# **"`batch_first=True` makes everything batch-first."** Only the input and `output`. `h_n` (and
# the `h0` you pass in) keep the layer dimension first:

# %%
rnn_bf = nn.RNN(input_size=3, hidden_size=8, num_layers=2, batch_first=True)
output, h_n = rnn_bf(torch.randn(4, 10, 3, generator=gen))  # 4 sequences of 10 steps
print(f"batch_first=True: output {tuple(output.shape)}, h_n {tuple(h_n.shape)}")

# %% [markdown]
# **"`output[-1]` is always the final state."** Not for a bidirectional RNN. Its `output` holds
# both directions side by side, and at the last step the backward direction has only read one
# element: its *final* state sits in `output[0]`.

# %%
birnn = nn.RNN(input_size=3, hidden_size=4, bidirectional=True)
output, h_n = birnn(torch.randn(6, 2, 3, generator=gen))
fwd, bwd = output[..., :4], output[..., 4:]
print(f"output {tuple(output.shape)}, h_n {tuple(h_n.shape)}  (directions × layers, batch, hidden)")
print("forward final  h_n[-2] == output[-1, :, :4]:", torch.equal(h_n[-2], fwd[-1]))
print("backward final h_n[-1] == output[-1, :, 4:]:", torch.equal(h_n[-1], bwd[-1]))
print("backward final h_n[-1] == output[0, :, 4:]: ", torch.equal(h_n[-1], bwd[0]))
assert torch.equal(h_n[-2], fwd[-1]) and torch.equal(h_n[-1], bwd[0])
assert not torch.equal(h_n[-1], bwd[-1])

# %% [markdown]
# The same backward direction is why picking `output[length - 1]` from a naively padded batch
# fails for a bidirectional RNN: reading right to left, it meets the padding *before* the real
# steps. With the batch of section 6, compare the outputs at real steps with each sequence read
# alone:

# %%
with torch.no_grad():
    bi = nn.RNN(input_size=1, hidden_size=4, bidirectional=True, dtype=torch.float64)
    bi_alone = [bi(s)[0] for s in seqs]  # each (length, 2 * hidden)
    bi_naive, _ = bi(padded)
    bi_packed, _ = pad_packed_sequence(bi(packed)[0])
bi_gap = {}
for name, out in (("naive padding", bi_naive), ("packed", bi_packed)):
    bi_gap[name] = max((out[:n, i] - bi_alone[i]).abs().max().item()
                       for i, n in enumerate(lengths.tolist()))
    print(f"bidirectional, {name:>13}: outputs at real steps, max |difference| = "
          f"{bi_gap[name]:.1e}")
assert bi_gap["naive padding"] > 1e-3 and bi_gap["packed"] < 1e-12  # naive fails, packing not

# %% [markdown]
# **"The two biases are two different things to learn."** Only `bias_ih + bias_hh` enters the
# computation: move all of it into one vector and nothing changes beyond rounding.

# %%
rnn = nn.RNN(input_size=3, hidden_size=4, dtype=torch.float64)
x = torch.randn(5, 2, 3, dtype=torch.float64, generator=gen)
with torch.no_grad():
    before, _ = rnn(x)
    rnn.bias_ih_l0 += rnn.bias_hh_l0
    rnn.bias_hh_l0.zero_()
    after, _ = rnn(x)
print(f"max change after merging the biases: {(after - before).abs().max().item():.1e}")

# %% [markdown]
# **"The RNN remembers between calls."** An `nn.RNN` has no state of its own: `hx=None` means
# zeros, every call. To continue a sequence, pass the returned state back in (as `text.sample`
# does). Reading `"the net"` then `"work"` with the state carried equals reading `"the network"`;
# without it, it does not.

# %%
with torch.no_grad():
    whole, _ = rnn_lm(vocab.encode("the network")[None])
    _, h = rnn_lm(vocab.encode("the net")[None])
    carried, _ = rnn_lm(vocab.encode("work")[None], h)
    fresh, _ = rnn_lm(vocab.encode("work")[None])
print(f"state carried: max |difference| {(carried[0] - whole[0, 7:]).abs().max().item():.1e}")
print(f"state dropped: max |difference| {(fresh[0] - whole[0, 7:]).abs().max().item():.1e}")

# %% [markdown]
# And from section 6: **"padding is harmless because padded inputs are zero"**: the table there
# shows the final state moving on every padding step.
#
# ## 10. Quiz

# %%
quiz.show("hn-shape")

# %%
quiz.show("output-vs-hn")

# %%
quiz.show("param-count")

# %%
quiz.show("one-step")

# %%
quiz.show("many-to-one")

# %%
quiz.show("naive-padding")

# %%
quiz.show("pack-function")

# %%
quiz.show("temperature")

# %%
quiz.score()


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 11. Exercises
#
# ### Exercise 1: an RNN layer, batch first
# Write `rnn_forward(x, h0, W_xh, W_hh, b_xh, b_hh)` for a one-layer `tanh` RNN with PyTorch's
# two biases and a **batch-first** input: `x` is `(batch, seq_len, input_size)`, `h0` is
# `(batch, hidden)`. Return `(output, h_n)` with `output` `(batch, seq_len, hidden)` (every
# `h_t`) and `h_n` `(batch, hidden)` (the last one).

# %% slideshow={"slide_type": "skip"}
def rnn_forward(x, h0, W_xh, W_hh, b_xh, b_hh):
    ### BEGIN SOLUTION
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ W_xh.T + b_xh + h @ W_hh.T + b_hh)
        states.append(h)
    return torch.stack(states, dim=1), h
    ### END SOLUTION


# %%
check("l02.rnn_forward", rnn_forward)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: output shapes without running anything
# Write `rnn_shapes(seq_len, batch, input_size, hidden_size, num_layers, batch_first)` returning
# the shapes of `(output, h_n)`, as two tuples, for `nn.RNN(input_size, hidden_size, num_layers,
# batch_first=batch_first)` on a batched input. The checker compares with what `nn.RNN` gives.

# %% slideshow={"slide_type": "skip"}
def rnn_shapes(seq_len, batch, input_size, hidden_size, num_layers, batch_first):
    ### BEGIN SOLUTION
    output = (batch, seq_len, hidden_size) if batch_first else (seq_len, batch, hidden_size)
    return output, (num_layers, batch, hidden_size)
    ### END SOLUTION


# %%
check("l02.rnn_shapes", rnn_shapes)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 3: each sequence's last real output
# After a one-directional RNN reads a zero-padded batch without packing, `output` is
# `(seq_len, batch, hidden)` and `lengths` `(batch,)` holds each sequence's true length. Write
# `last_valid_output(output, lengths)` returning `(batch, hidden)`: row `i` is the output at step
# `lengths[i] - 1` of sequence `i` (section 6 showed it equals the packed `h_n`). No loop needed.

# %% slideshow={"slide_type": "skip"}
def last_valid_output(output, lengths):
    ### BEGIN SOLUTION
    return output[lengths - 1, torch.arange(output.shape[1])]
    ### END SOLUTION


# %%
check("l02.last_valid_output", last_valid_output)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 12. Summary
#
# - An RNN is one step, `h_t = f(W_xh x_t + W_hh h_{t-1} + b)`, applied with the same weights at
#   every step; stacking feeds one layer's states to the next as inputs. Ours matches `nn.RNN`
#   to rounding error in float64 and float32, and so does `rnnlab.models.RNN`.
# - `output` is the top layer at every step; `h_n` is every layer at the last step; they share
#   `output[-1] == h_n[-1]` (one direction, no padding). `h_n` is never batch-first.
# - One-to-one, one-to-many, many-to-one and many-to-many differ only in where inputs go in and
#   which states are read out.
# - Any length works one sequence at a time. In a padded batch, pack the sequences (or read each
#   one's output at its own last step), or the final state is wrong.
# - A character model trained on our paragraph beats the count baselines; greedy decoding is
#   deterministic, temperature trades sharpness for variety; `nn.LSTM` and `nn.GRU` drop in.
#
# **Next:** lesson 03 trains these weights by hand: backpropagation through time, derived and
# checked against autograd, step by step.
