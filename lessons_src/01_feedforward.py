# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · Feedforward networks, and why order matters
#
# **You will be able to**
# - write a dense layer `y = f(Wx + b)` from scratch and prove it equals `torch.nn.Linear`;
# - explain, with a computation, why a network that ignores order (or sees a fixed window) cannot
#   solve a task whose answer depends on order;
# - name what a model for sequences needs, and see a recurrence with two weights that has it.
#
# **Prerequisites:** Python, a little linear algebra (matrix times vector), and PyTorch tensors.
# **Run time:** about 10 seconds on a laptop CPU.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea
#
# A feedforward network maps one fixed-size vector to another: each layer computes
# `y = f(W x + b)`, with a weight matrix `W`, a bias `b` and a non-linearity `f` such as `tanh`.
# Nothing in that formula knows about *time*. To feed it a sequence we must flatten the sequence
# into one vector (so its length is fixed forever) or summarise it (so its order is lost).
#
# This lesson builds the layer, then sets a small task where order is everything and watches
# three feedforward models meet its limits. The last section shows the fix that the rest of the
# course is about: a state carried from one step to the next.

# %% slideshow={"slide_type": "skip"}
# %matplotlib widget
import torch
from IPython.display import Markdown, display
from torch import nn

from rnnlab import data
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.explorers import RecurrenceStateExplorer
from rnnlab.quiz import Quiz
from rnnlab.train import fit, seed_everything

quiz = Quiz("l01")
gen = seed_everything(0)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. A dense layer from scratch
#
# Shapes first, because most bugs are shape bugs. A batch of inputs `x` is `(batch, n_in)`;
# PyTorch stores `W` as `(n_out, n_in)`, so the layer computes `x @ W.T + b` and returns
# `(batch, n_out)`. (The course's symbols, rows against columns included, are in one table on
# the start page, under *Notation*.)

# %%
def dense(x, W, b, f=torch.tanh):
    """y = f(x W^T + b). x: (batch, n_in), W: (n_out, n_in), b: (n_out,) -> (batch, n_out)."""
    return f(x @ W.T + b)


# %% [markdown]
# **Check it against PyTorch.** Give `nn.Linear` and our function the same weights, in float64
# so that only real mistakes (not rounding) can make them differ.

# %%
layer = nn.Linear(5, 3).double()
x = torch.randn(4, 5, dtype=torch.float64, generator=gen)
ours = dense(x, layer.weight, layer.bias)
theirs = torch.tanh(layer(x))
diff = (ours - theirs).abs().max().item()
print(f"dense vs nn.Linear + tanh: max |difference| = {diff:.1e} (float64)")
assert torch.allclose(ours, theirs, atol=1e-12), "dense() does not match nn.Linear"

# %% [markdown]
# Two layers make a multi-layer perceptron (MLP). The gradients agree too: autograd
# differentiates our function exactly as it differentiates `nn.Sequential`.

# %%
torch_mlp = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1)).double()
W1, b1, W2, b2 = (p.detach().clone().requires_grad_() for p in torch_mlp.parameters())
ours = dense(dense(x, W1, b1), W2, b2, f=lambda a: a)
theirs = torch_mlp(x)
ours.sum().backward()
theirs.sum().backward()
grad_diff = max((p.grad - q.grad).abs().max().item()
                for p, q in zip([W1, b1, W2, b2], torch_mlp.parameters(), strict=True))
print(f"MLP outputs: max |difference| = {(ours - theirs).abs().max().item():.1e}; "
      f"gradients: max |difference| = {grad_diff:.1e}")
assert torch.allclose(ours, theirs, atol=1e-12) and grad_diff < 1e-12

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 1: the dense layer
# Write `dense_forward(x, W, b)` returning `tanh(x Wᵀ + b)` for `x` of shape `(batch, n_in)`,
# `W` of shape `(n_out, n_in)` and `b` of shape `(n_out,)`. The checker runs it on random inputs
# and tells you exactly what differs. The collapsed cell holds a solution: try first.

# %% slideshow={"slide_type": "skip"}
def dense_forward(x, W, b):
    ### BEGIN SOLUTION
    return torch.tanh(x @ W.T + b)
    ### END SOLUTION


# %%
check("l01.dense_forward", dense_forward)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. A task where order is everything: which came first?
#
# Each sequence holds 24 symbols. Most are fillers (`a b c d`); exactly one `A` and one `B`
# appear somewhere. The label is 1 when `A` comes before `B`. Every sequence contains the same
# two markers, so *only their order* carries the answer.

# %%
T, V = 24, len(data.ORDER_SYMBOLS)
X_train, y_train = data.order_task(4000, T, gen)
X_test, y_test = data.order_task(2000, T, gen)
for row in range(4):
    print(data.decode_order(X_train[row]), "  A first" if y_train[row] else "  B first")
print(f"share of 'A first' in the test set: {y_test.mean().item():.3f}")


# %% [markdown]
# We train every model below the same way: an MLP with one hidden layer of 64 `tanh` units,
# 600 steps of Adam on batches of 128, binary cross-entropy. Only the *input* differs: what view
# of the sequence the network is given.

# %%
def make_mlp(n_in, hidden=64):
    return nn.Sequential(nn.Flatten(), nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, 1))


def bce(model, inputs, targets):
    return nn.functional.binary_cross_entropy_with_logits(model(inputs).squeeze(1), targets)


def train_on(view, n_in, X=X_train, y=y_train, steps=600):
    torch.manual_seed(0)
    model = make_mlp(n_in)
    features = view(X)

    def batch(_step):
        idx = torch.randint(0, len(features), (128,), generator=gen)
        return features[idx], y[idx]

    fit(model, batch, bce, steps=steps, lr=3e-3, progress=False)
    return model


def accuracy(model, view, X, y):
    with torch.no_grad():
        return ((model(view(X)).squeeze(1) > 0).float() == y).float().mean().item()


# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Model 1: a bag of symbols
# The simplest way to make any-length input fixed-size is to count: how many `a`s, `b`s, ...,
# `A`s and `B`s. The count vector has 6 numbers whatever the length. It also throws the order
# away, and the order is the whole answer.

# %%
def bag(tokens):
    """(batch, T) int64 -> (batch, V) counts of each symbol."""
    return data.one_hot(tokens, V).sum(dim=1)


bag_model = train_on(bag, V)
bag_acc = accuracy(bag_model, bag, X_test, y_test)
print(f"bag-of-symbols MLP, test accuracy: {bag_acc:.3f}")
assert abs(bag_acc - 0.5) < 0.05  # chance, as the next cell proves it must be

# %% [markdown]
# **Why it must fail, by computation.** Reverse every test sequence. The counts are identical,
# so the model's output is identical; but reversing swaps which marker comes first, so every
# label flips. On the test set and its reversal together, any bag model is right exactly half
# the time, however it is trained.

# %%
X_rev = X_test.flip(dims=[1])
y_rev = 1 - y_test
with torch.no_grad():
    out, out_rev = bag_model(bag(X_test)), bag_model(bag(X_rev))
changed = (out - out_rev).abs().max().item()
both = (accuracy(bag_model, bag, X_test, y_test) + accuracy(bag_model, bag, X_rev, y_rev)) / 2
print(f"max change of the output when every sequence is reversed: {changed}")
print(f"labels flipped by reversal: {(y_rev != y_test).float().mean().item():.0%}")
print(f"accuracy on test set + reversed test set: {both:.3f}")
assert changed == 0.0 and abs(both - 0.5) < 1e-6

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: the bag of symbols
# Write `bag_of_symbols(tokens, vocab)` that turns a `(batch, T)` tensor of symbol ids into a
# `(batch, vocab)` float32 tensor of counts. (Hint: `torch.nn.functional.one_hot`.)

# %% slideshow={"slide_type": "skip"}
def bag_of_symbols(tokens, vocab):
    ### BEGIN SOLUTION
    return torch.nn.functional.one_hot(tokens, vocab).sum(dim=1).float()
    ### END SOLUTION


# %%
check("l01.bag_of_symbols", bag_of_symbols)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Model 2: a fixed window
# Keep the order, but only of the last `w = 8` symbols: one-hot encode them and concatenate,
# 8 × 6 = 48 inputs. This is how a feedforward net is usually given "recent history".

# %%
W_SIZE = 8


def window(tokens, w=W_SIZE):
    """(batch, T) -> (batch, w, V): one-hot vectors of the last w symbols, in order."""
    return data.one_hot(tokens[:, -w:], V)


win_model = train_on(window, W_SIZE * V)
pos_a = (X_test == data.A).float().argmax(dim=1)
pos_b = (X_test == data.B).float().argmax(dim=1)
neither = (pos_a < T - W_SIZE) & (pos_b < T - W_SIZE)
with torch.no_grad():
    pred = (win_model(window(X_test)).squeeze(1) > 0).float()
acc_all = (pred == y_test).float().mean().item()
acc_seen = (pred[~neither] == y_test[~neither]).float().mean().item()
acc_neither = (pred[neither] == y_test[neither]).float().mean().item()
print(f"window MLP, test accuracy: {acc_all:.3f}")
print(f"  at least one marker inside the window: {acc_seen:.3f} ({(~neither).sum().item()} seqs)")
print(f"  both markers before the window:        {acc_neither:.3f} ({neither.sum().item()} seqs)")
# what the text below says: near-perfect with a marker in view, chance (1/2) without
assert acc_seen > 0.95 and abs(acc_neither - 0.5) < 0.06

# %% [markdown]
# The window model does well when it can see a marker (seeing only `B` is enough: the `A` must
# be earlier). When both markers fall before the window it is at chance, and no training can fix
# that. **Proof by computation:** for those sequences, swap the `A` and the `B`. The label flips;
# the window's contents, and so the output, do not change at all.

# %%
X_swap = X_test[neither].clone()
X_swap[X_test[neither] == data.A] = data.B
X_swap[X_test[neither] == data.B] = data.A
with torch.no_grad():
    moved = (win_model(window(X_test[neither])) - win_model(window(X_swap))).abs().max().item()
print(f"max change of the window model's output after swapping A and B: {moved}")
assert moved == 0.0

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Model 3: the whole sequence at once
# Make the window as long as the sequence: 24 × 6 = 144 inputs.

# %%
def whole(tokens):
    """(batch, T) -> (batch, T, V): one-hot vectors of every symbol, in order."""
    return data.one_hot(tokens, V)


full_model = train_on(whole, T * V)
full_acc = accuracy(full_model, whole, X_test, y_test)
print(f"whole-sequence MLP, test accuracy: {full_acc:.3f}")
assert full_acc > 0.95  # "it works, for this length"

# %% [markdown]
# It works, for this length. Its limits show as soon as we ask anything else of it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The limits of fixed-size inputs
#
# **(a) One length only.** The first layer expects exactly 144 inputs. A sequence of 25 symbols
# does not fit, and there is no principled way to make it fit.

# %%
longer, _ = data.order_task(1, T + 1, gen)
try:
    full_model(whole(longer))
except RuntimeError as err:
    print("RuntimeError:", str(err).splitlines()[0])

# %% [markdown]
# **(b) Nothing learned at one position transfers to another.** Train the same network on
# sequences whose markers sit only in the first half, then test it on sequences whose markers
# sit only in the second half. The rule "A before B" is the same; the weights that would apply it
# there were never trained.

# %%
X_first, y_first = data.order_task(4000, T, gen, positions=range(0, T // 2))
X_second, y_second = data.order_task(2000, T, gen, positions=range(T // 2, T))
half_model = train_on(whole, T * V, X_first, y_first)
acc_first = accuracy(half_model, whole, X_first, y_first)
acc_second = accuracy(half_model, whole, X_second, y_second)
print(f"markers in the first half (trained):  {acc_first:.3f}")
print(f"markers in the second half (unseen):  {acc_second:.3f}")
assert acc_first > 0.95 and abs(acc_second - 0.5) < 0.06  # learnt there, chance here

# %% [markdown]
# **(c) The first layer grows with the length.** Each position has its own weights, so the
# parameter count is `T × V × hidden`.

# %%
for length in (24, 240, 2400, 24000):
    print(f"T = {length:>6}: first-layer weights = {length * V * 64:>10,}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. What a sequence model needs, and a recurrence that has it
#
# The three failures point at three requirements: see the order (unlike the bag), use the
# **same weights at every step** (so a rule learned at one position applies at all of them,
# and any length fits), and carry a **memory** of everything so far (unlike the window).
#
# A recurrence does all three with one number, a state `h`, updated once per symbol:
#
# `h_t = tanh(w_hh · h_{t-1} + w_in · x_t)`, where `x_t` is +1 for `A`, −1 for `B`, 0 otherwise.
#
# With `w_in = 3` and `w_hh = 6`, the first marker pushes `h` to about ±1 and the large `w_hh`
# holds it there against the second marker. The sign of the final state is the answer. Two
# weights, chosen by hand, no training, any length:

# %%
def marker_signal(tokens):
    """(batch, T) -> (batch, T): +1 where A, -1 where B, 0 for fillers."""
    return (tokens == data.A).double() - (tokens == data.B).double()


def run_recurrence(tokens, w_hh=6.0, w_in=3.0):
    """All states h_1..h_T of the hand-set recurrence: (batch, T) -> (batch, T)."""
    x = marker_signal(tokens)
    h = torch.zeros(tokens.shape[0], dtype=torch.float64)
    states = []
    for t in range(tokens.shape[1]):
        h = torch.tanh(w_hh * h + w_in * x[:, t])
        states.append(h)
    return torch.stack(states, dim=1)


rows = []
for length in (24, 240, 2400):
    X_len, y_len = data.order_task(1000, length, gen)
    h_last = run_recurrence(X_len)[:, -1]
    rows.append(((h_last > 0).double() == y_len).double().mean().item())
    print(f"T = {length:>5}: hand-set recurrence accuracy = {rows[-1]:.3f}")
assert min(rows) == 1.0

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Experiment: the state, step by step
#
# Type a sequence (symbols `a b c d A B`) or pick one, and move `w_hh`. The plot shows the state
# `h_t` after every symbol. With a small `w_hh` the memory of the first marker fades and the
# second marker overwrites it; with a large one the state latches (the cell after the widget
# checks both on the "far apart" example). Lesson 04 (section 5, "the dilemma") returns to this
# recurrence: the large `w_hh` that makes the latch robust also makes the gradient through it
# vanish, so a network could hardly *learn* such a latch by gradient descent.

# %%
examples = {"A then B (A first)": "abAcdabcBd", "B then A": "cBaabdAcab",
            "far apart": "A" + "abcd" * 6 + "B", "B at the very end": "dcAbadcbaB"}
RecurrenceStateExplorer(run_recurrence, examples, w_hh=6.0)

# %%
far = data.encode_order(examples["far apart"])
h_small, h_large = (run_recurrence(far, w_hh=w)[0] for w in (1.0, 6.0))
print(f"far apart (A first): w_hh = 1 gives h_T = {h_small[-1]:+.3f} (state before the B: "
      f"{h_small[-2]:+.3f}); w_hh = 6 gives h_T = {h_large[-1]:+.3f}")
assert h_small[-2] < 0.5 and h_small[-1] < 0 < h_large[-1]  # faded and overwritten; latched

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Pitfalls
#
# - *"A feedforward net can't use order."* It can, inside its window: model 3 learned the task
#   (the numbers are in the cell below). The trouble is everything outside the window, and that
#   each position needs its own weights.
# - *"A big enough window solves it."* Only for the lengths it was built for, at a cost that
#   grows with the length, and without transfer between positions (section 4).
# - *"Averaging or summing the inputs is a safe way to handle any length."* It deletes order;
#   the reversal test proves no amount of training recovers it.

# %%
display(Markdown(
    f"In numbers from this notebook: the whole-sequence MLP reached **{full_acc:.1%}**, the "
    f"window MLP **{acc_all:.1%}** overall but **{acc_neither:.1%}** when both markers were "
    f"outside its window, the bag model **{bag_acc:.1%}**, and the whole-sequence MLP trained on "
    f"first-half markers scored **{acc_second:.1%}** on second-half ones."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Quiz

# %%
quiz.show("linear-shape")

# %%
quiz.show("bag-reversal")

# %%
quiz.show("window-limits")

# %%
quiz.show("first-layer-count")

# %%
quiz.show("recurrence-carries")

# %%
quiz.score()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Summary
#
# - A dense layer is `f(x Wᵀ + b)`; ours matches `nn.Linear` to rounding error, gradients too.
# - Counting symbols loses order: reversal leaves the output unchanged and flips the label.
# - A fixed window sees order only inside it; outside, the output provably cannot depend on the
#   input. A full-length window fixes the length, grows with it, and shares nothing across
#   positions.
# - A recurrence, `h_t = f(w_hh h_{t-1} + w_in x_t)`, uses one set of weights at every step and
#   carries a state: two hand-set weights solved the task at every length we tried.
#
# **Next:** lesson 02 makes that recurrence a trainable network with vectors and matrices
# (`W_xh`, `W_hh`), and proves it computes exactly what `torch.nn.RNN` computes.
