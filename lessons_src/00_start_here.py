# %% [markdown]
# # RNN Lab: start here
#
# An interactive course on recurrent neural networks. Every idea is built from scratch in a few
# lines of PyTorch, checked number for number against PyTorch's own layers, and then explored
# with a widget. Each lesson runs top to bottom in about a minute on a laptop CPU, with no
# internet connection.
#
# ## How to use a lesson
# - Run the cells in order (Shift+Enter), or *Run > Run All Cells*.
# - Move every slider: the plots redraw in place.
# - Answer the quiz cells with the **Check** button; `quiz.score()` at the end of a lesson tells
#   you how you did.
# - Exercises: each starts unsolved. Write the function where it says `# YOUR CODE HERE`, then
#   run the `check(...)` cell under it: it says *not implemented yet* until you do, then whether
#   your code is right and, if not, exactly what is wrong. Stuck? `solution("l01.dense_forward")`
#   in a new cell shows a worked solution. The cells after an exercise never use your answer, so
#   a lesson runs to the end whether or not you have solved it.
# - Your work is yours: these notebooks are your own copies (in `my-notebooks/`), which no
#   command overwrites. When the course gets a new version of a lesson, `make lab` says so and
#   `make update` brings it in, keeping your copy in `my-notebooks/previous/`.
# - Quiz answers and passed exercises are saved on your computer (not in the notebook), so they
#   survive a restart; the table at the end of this page shows them.
#
# ## Lesson map
# | # | lesson | you will |
# | --- | --- | --- |
# | 01 | [Feedforward networks, and why order matters](01_feedforward.ipynb) | build a layer from scratch and watch a fixed-window network fail on order |
# | 02 | [The hidden-state recurrence](02_recurrence.ipynb) | build an RNN and match `nn.RNN` exactly |
# | 03 | [Backpropagation through time](03_bptt.ipynb) | derive and run the backward pass by hand |
# | 04 | [Vanishing and exploding gradients](04_vanishing_exploding.ipynb) | watch gradient norms shrink or blow up over time steps |
# | 05 | [LSTM](05_lstm.ipynb) | build the cell state and gates, and see the gradient survive |
# | 06 | [GRU, and choosing between them](06_gru.ipynb) | build the GRU and compare it with the LSTM on equal budgets |
# | 07 | [Recurrent networks on real data, scored against baselines](07_real_data.ipynb) | language modelling, forecasting and classification on real data, each against the baselines a practitioner would use |
# | 08 | [Seq2seq and attention](08_seq2seq_attention.ipynb) | build an encoder-decoder, measure the bottleneck attention removes, and watch where it looks |
# | 09 | [Transformers against recurrent networks, measured](09_transformers_vs_rnns.ipynb) | build a Transformer, check it against PyTorch, and measure it against the LSTM and GRU: quality at equal budget, cost against length, length generalisation, minGRU's parallel scan |
# | 10 | [Common beliefs, settled by computation, and a self-test](10_beliefs_self_test.ipynb) | settle what blog posts and interviews say about RNNs with a number each, then test yourself over the whole course and see where to go back |
#
# ## Notation
# One set of symbols for the whole course; a lesson that departs from it says so where it does.
#
# | symbol | meaning | where, and notes |
# | --- | --- | --- |
# | `T` | length of a sequence: the number of time steps | every lesson. Never a temperature |
# | `t` | a time step, `1..T` | every lesson |
# | `s` | a second time index: the step whose share of a gradient is counted (03), the step a Jacobian belongs to (04) | 03, 04 |
# | `k` | the truncation length of truncated BPTT | 03, 04. Used for nothing else |
# | `τ` | sampling temperature, `softmax(logits / τ)` | 02 |
# | `x_t`, `h_t`, `h_0` | input at step `t`; hidden state after step `t`; initial state (zeros unless given) | every lesson |
# | `a_t` | pre-activation, `h_t = f(a_t)` | 03, 04 |
# | `f` | the non-linearity (`tanh`, ReLU, linear) | 01-04 |
# | `W_xh` = `W_ih` | input-to-hidden weights, shape `(hidden, input)`. PyTorch's `weight_ih_l0` | lessons 01-03 write `W_xh`, lessons 04-06 `W_ih` (PyTorch's name): the same matrix |
# | `W_hh`, `W_hy` | hidden-to-hidden `(hidden, hidden)`; hidden-to-output `(output, hidden)` | 02-06; 03 |
# | `b`, `b_h` | bias. PyTorch keeps two, `bias_ih` and `bias_hh`; for the RNN and LSTM only their sum matters (not for the GRU, 06) | 02-06 |
# | `H`, `D`, `O`, `V` | hidden size, input size, output size, vocabulary size | 03 writes `D` for the input size; other lessons `n_in` or `input_size` |
# | `L` | the loss; `L_t` the loss at step `t` | 03-06 |
# | `J_s` | one step's Jacobian `∂h_s/∂h_{s−1} = diag(f'(a_s)) W_hh` | 04 |
# | `ρ`, `σ_max` | spectral radius (largest \|eigenvalue\|) and largest singular value of `W_hh` | 04-05 |
# | `σ(·)` | the logistic sigmoid | 05, 06 |
# | `i_t, f_t, g_t, o_t`, `c_t` | LSTM input, forget, candidate and output gates; cell state. With its time index, `f_t` is the forget gate, not the non-linearity | 05 |
# | `r_t, z_t, n_t` | GRU reset gate, update gate (PyTorch's convention: `z = 1` keeps the old state), candidate | 06 |
#
# **Rows or columns.** The maths is written with column vectors, `W_xh x_t`. Code stacks a batch
# in rows, `x_t` of shape `(batch, input)`, and PyTorch stores a weight as `(out, in)`, so the
# same product is `x_t @ W_xh.T`. Lessons 01-03 and 05-06 use the batched row form; lesson 04
# follows one sequence and writes `W_hh @ h`. Shapes in docstrings are `(batch, seq_len, hidden)`
# or `(seq_len, batch, hidden)`, as PyTorch's `batch_first` says.

# %% [markdown]
# ## Check your set-up
# The cell below should print the versions and `environment ready`.

# %%
# %matplotlib widget
import ipywidgets
import matplotlib
import torch

import rnnlab
from rnnlab.train import pick_device

print(f"rnnlab {rnnlab.__version__}, torch {torch.__version__}, "
      f"ipywidgets {ipywidgets.__version__}, matplotlib {matplotlib.__version__}")
print(f"device: {pick_device()} (lessons run on the CPU; a GPU is used when present)")
assert matplotlib.get_backend().lower().endswith("ipympl") or "widget" in matplotlib.get_backend()
print("environment ready")

# %% [markdown]
# ## Your progress
# Every lesson's quiz questions answered right and exercises passed, over all your sessions.
# `progress.reset("l04")` forgets one lesson; `progress.reset()` forgets everything.

# %%
from rnnlab import progress

progress.show()
