# %% [markdown] slideshow={"slide_type": "slide"}
# # 07 · Recurrent networks on real text, scored against baselines
#
# **You will be able to**
# - score a recurrent network honestly on real data, beside the baselines a practitioner would
#   use: n-grams and compressors for text (bits per character), last value, seasonal naive and
#   Holt-Winters for a forecast (rolling origin), 1-NN DTW for whole sequences;
# - train an RNN, LSTM or GRU on a long text as one stream (stateful truncated BPTT, the state
#   carried and detached), with clipping and dropout in the right places;
# - look inside the trained model: sample at a temperature, see which characters surprise it,
#   and find a hidden unit that tracks something you can see.
#
# **Prerequisites:** lessons 03 (truncated BPTT), 05 (LSTM) and 06 (GRU).
# **Run time:** about 40 seconds on a laptop CPU (a longer run is loaded from
# `benchmarks/results/`). Uses `statsmodels` (in the course's requirements) for the CO2 data and
# Holt-Winters; nothing is downloaded.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. The idea: a model is only as good as what it beats
#
# Until now the tasks were made up, and the text was a paragraph the model memorised. Here the
# text is real: Python's own help pages (`pydoc_data.topics`, the text `help("for")` shows,
# shipped with Python, so nothing is downloaded). A language model is scored on text it has never
# seen, in **bits per character** (bpc): the mean of `-log2 p(next character | the ones before)`.
# A model that guessed uniformly among `V` characters would score `log2 V`; a perfect one, 0.
# **Perplexity** `2 ** bpc` is the same number as "a choice among that many equally likely
# characters".
#
# A score means nothing alone. The question is always: *better than what?* So before any network,
# the baselines a practitioner would try first: counting models (how often did `"pytho"` come
# before `"n"`?) and a general-purpose compressor (a compressor is a language model: its output
# size is the bits it needs).

# %% slideshow={"slide_type": "skip"}
# %matplotlib widget
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one BLAS thread: statsmodels' fits, 2 cores

import json  # noqa: E402
import math  # noqa: E402
import warnings  # noqa: E402

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from torch import nn

from rnnlab import charlm
from rnnlab.baselines import KneserNey, nats_to_bits, perplexity
from rnnlab.check import check, solution  # noqa: F401  (solution: on request)
from rnnlab.corpus import OpenVocab, StreamWindows, pydoc_split
from rnnlab.course import next_lesson
from rnnlab.lm_explorers import SampleExplorer, SurprisalExplorer
from rnnlab.quiz import Quiz
from rnnlab.train import seed_everything

quiz = Quiz("l07")
gen = seed_everything(0)  # also one CPU thread: faster for models this small
RESULTS = charlm.results_dir()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The text, split by document
#
# The help pages are about 200 topics. Whole topics go to train, validation or test, so no topic
# is in two splits: text from one topic shares rare names and whole sentences, and a held-out
# score on a neighbouring paragraph would flatter every model. `OpenVocab` holds the training
# text's characters plus one *unknown* character, so any text can be scored.

# %%
split = pydoc_split(0)
vocab = OpenVocab(split.train)
sizes = split.sizes()
shared = set(split.names["train"]) & (set(split.names["valid"]) | set(split.names["test"]))
assert not shared and not set(split.names["valid"]) & set(split.names["test"])
print(f"split {split.fingerprint}: " + ", ".join(
    f"{k} {v:,} characters ({len(split.names[k])} topics)" for k, v in sizes.items()))
print(f"vocabulary: {len(vocab)} symbols; {vocab.unknown_count(split.test)} test characters "
      "never seen in training (scored as the unknown symbol)")
print(repr(split.test[:160]))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Baselines: counting models and compressors
#
# - **Unigram, bigram** (add-one smoothing): how often each character, or each pair, occurs.
# - **Kneser-Ney** of order n: the next character from the n - 1 before it, with the smoothing
#   that works best for counting models (Kneser and Ney 1995, Chen and Goodman 1999): a rare
#   context borrows from a shorter one, weighted by how many *different* contexts a character
#   follows. Every character keeps some probability, so no held-out character costs infinite bits.
# - **Compressors** (gzip, bz2, lzma) are charged the extra bytes for the test text when
#   compressed after the training text, so they too have "read" the training text.
#
# Fitting order 6 and every compressor takes about half a minute, so the table is loaded from
# `benchmarks/results/char_baselines.json` (written by `benchmarks/char_baselines.py`); one row is
# recomputed here to show it is the same computation.

# %%
base_run = json.loads((RESULTS / "char_baselines.json").read_text(encoding="utf-8"))
assert base_run["split"]["fingerprint"] == split.fingerprint, "a different Python: rerun it"
baselines = {r["name"]: r["bpc"] for r in base_run["rows"]}
print(f"loaded from benchmarks/results/char_baselines.json ({base_run['date']}, test split)")
print(f"{'model':34s} {'bpc':>6s} {'perplexity':>11s}")
for r in base_run["rows"]:
    print(f"{r['name']:34s} {r['bpc']:6.3f} {r['perplexity']:11.2f}")

kn3 = KneserNey(split.train, vocab, order=3).bits_per_char(split.test)
print(f"\nrecomputed now: Kneser-Ney order 3 = {kn3:.4f} bpc")
assert abs(kn3 - baselines["Kneser-Ney, order 3"]) < 1e-9

# %%
uniform = math.log2(len(vocab))
kn6, lzma_bpc = baselines["Kneser-Ney, order 6"], baselines["lzma, given the training text"]
uni = baselines["unigram (add-one)"]
assert lzma_bpc < kn6 < uni < uniform
display(Markdown(
    f"A uniform guess costs log2 {len(vocab)} = **{uniform:.2f}** bits; counting single "
    f"characters, **{uni:.2f}**. Longer contexts help a lot: Kneser-Ney of order 6 reaches "
    f"**{kn6:.3f}** (perplexity {perplexity(kn6):.2f}). lzma, given the training text, needs "
    f"only **{lzma_bpc:.3f}**: it can copy whole phrases seen in training, and these help pages "
    f"repeat many of them. That is the bar."))

# %% [markdown]
# PyTorch's `F.cross_entropy` is in **nats** (natural logarithm). Bits are nats divided by
# ln 2. Mixing them up flatters a model by 31%:

# %%
loss_nats = 1.04
print(f"{loss_nats} nats = {nats_to_bits(loss_nats):.3f} bits per character; perplexity "
      f"2 ** bits = {perplexity(nats_to_bits(loss_nats)):.3f} = e ** nats = "
      f"{math.exp(loss_nats):.3f}")
assert abs(perplexity(nats_to_bits(loss_nats)) - math.exp(loss_nats)) < 1e-12

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Training on one long stream
#
# The training text is 370k characters. Lesson 03 truncated backpropagation to `k` steps; here the
# text is cut into `batch` parallel streams, read in consecutive windows. The state at the end of
# window k is the start of window k+1, **detached**: the values carry over (the model knows what
# it just read), the gradient stops at the window's edge (a step costs one window). Row `b` of
# window k+1 starts exactly where row `b` of window k ended:

# %%
train_ids = vocab.encode(split.train)
windows = StreamWindows(train_ids, batch=32, seq_len=100)
reader = iter(windows)
(x0, y0), (x1, _) = next(reader), next(reader)
assert torch.equal(x1[:, 0], y0[:, -1])     # window 1 starts with window 0's last target
print(f"{len(windows)} windows of {tuple(x0.shape)} per pass over the text")
print("row 3, window 0 ends:  ", repr(vocab.decode(x0[3, -30:].tolist())))
print("row 3, window 1 starts:", repr(vocab.decode(x1[3, :30].tolist())))

# %% [markdown]
# **Dropout in a recurrent network.** `CharLM` (in `rnnlab/charlm.py`) is embedding, dropout,
# recurrent layers, dropout, a linear head. The dropout argument of `nn.LSTM` does less than its
# name suggests. Measured:

# %%
x_demo = torch.randn(4, 12, 8)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    one_layer = nn.LSTM(8, 8, num_layers=1, dropout=0.5, batch_first=True).train()
same_1 = torch.equal(one_layer(x_demo)[0], one_layer(x_demo)[0])
two_layers = nn.LSTM(8, 8, num_layers=2, dropout=0.5, batch_first=True).train()
(_, (h_a, _)), (_, (h_b, _)) = two_layers(x_demo), two_layers(x_demo)
layer0_same, layer1_same = torch.equal(h_a[0], h_b[0]), torch.equal(h_a[1], h_b[1])
print(f"1 layer, dropout=0.5, training mode: two calls equal? {same_1}; "
      f"PyTorch warned: {str(caught[0].message)[:70]}...")
print(f"2 layers: layer 0's final state equal in two calls? {layer0_same}; "
      f"layer 1's? {layer1_same}")
assert same_1 and caught and layer0_same and not layer1_same

# %% [markdown]
# With one layer nothing is dropped (and PyTorch says so). With two, layer 0 runs untouched,
# its recurrence included: only its *outputs* are dropped on their way into layer 1. So
# `nn.LSTM(dropout=...)` never drops the inputs, the last layer's outputs, or the recurrent
# connection `h_{t-1} -> h_t`. `CharLM` adds `nn.Dropout` on the embedded input and on the
# output before the head. (Dropping the recurrent connection with a fresh mask at every step
# would damage the memory; variational dropout (Gal and Ghahramani, 2016) reuses one mask for
# the whole sequence, but needs a custom layer.)
#
# **Our layers, checked.** `CharLM(course=True)` runs the course's own step-by-step layers from
# lessons 02, 05 and 06 (`rnnlab.models`) instead of PyTorch's fused kernels; the parameter
# names are the same, so the weights load across.

# %%
probe = vocab.encode(split.valid[:200])[None]
for kind in charlm.KINDS:
    fused = charlm.CharLM(kind, len(vocab), 32, 16, layers=2, dropout=0.2).double().eval()
    ours = charlm.CharLM(kind, len(vocab), 32, 16, layers=2, dropout=0.2, course=True)
    ours.load_state_dict(fused.state_dict())
    ours.double().eval()
    with torch.no_grad():
        diff = (ours(probe)[0] - fused(probe)[0]).abs().max().item()
    print(f"{kind.upper():4s} course layers vs nn.{kind.upper()}: max |difference| of the logits "
          f"= {diff:.1e} (float64, 200 characters)")
    assert diff < 1e-10

# %% [markdown]
# **A few seconds of training, live.** A small LSTM (128 units) for 120 steps on 16 streams in
# windows of 64 characters: Adam, gradient clipping at norm 1, dropout 0.1, the state carried
# across windows, the learning rate decaying along a cosine. Scored on the first 10,000
# characters of the validation split.

# %%
valid_ids = vocab.encode(split.valid)
seed_everything(0)
live = charlm.CharLM("lstm", len(vocab), hidden=128, embed=32, dropout=0.1)
before = charlm.stream_bpc(live, valid_ids, max_chars=10_000)
hist = charlm.train_stream(live, train_ids, seconds=0, max_steps=120, batch=16, seq_len=64,
                          lr=1e-2, decay=True)
after = charlm.stream_bpc(live, valid_ids, max_chars=10_000)
print(f"validation bpc: {before:.3f} untrained -> {after:.3f} after {hist['step'][-1]} steps "
      f"({hist['seconds'][-1]:.1f} s of training, {hist['step'][-1] * 16 * 64:,} characters)")
assert after < uni < before

# %%
display(Markdown(
    f"After {hist['seconds'][-1]:.0f} seconds the LSTM is at **{after:.2f}** bits per "
    f"character: better than counting single characters ({uni:.2f}), far from the "
    f"6-gram model ({kn6:.2f}). A network needs many passes over the text; a counting model "
    f"needs one. Section 5 gives the networks minutes instead of seconds."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Minutes instead of seconds: RNN, LSTM and GRU against the baselines
#
# `benchmarks/char_lm.py` trains the course's three cells (one layer of 256 units, embedding 64,
# dropout 0.1, 32 streams, windows of 100, Adam with the learning rate decaying along a cosine,
# one CPU thread each), scores the whole validation split at regular intervals, then the test
# split with the state carried. Its results and the LSTM's weights (float16, under 1 MB) are
# loaded here.
#
# **What a budget buys on a shared machine.** The runs were made on a 2-core machine shared with
# other jobs. A budget of *wall-clock* seconds there buys fewer steps than on a quiet machine:
# the clock runs while other programs hold the core. So the budget counts the *CPU seconds* of
# the training process (what "15 minutes on one thread" means on a quiet machine), with a cap on
# the wall-clock time; the table says which stopped each run, how many steps it took, and the
# load average (runnable processes per 2 cores) while it ran.

# %%
lm_run = json.loads((RESULTS / "char_lm.json").read_text(encoding="utf-8"))
assert lm_run["split"]["fingerprint"] == split.fingerprint and not lm_run["quick"]
runs = lm_run["runs"]
print(f"loaded from benchmarks/results/char_lm.json ({lm_run['date']}), seed "
      f"{runs['lstm']['settings']['seed']}, {lm_run['threads']} thread per model, two models "
      "training at once")
print(f"\n{'model':5s} {'budget':>7s} {'CPU s':>6s} {'wall s':>7s} {'steps':>6s} "
      f"{'characters':>11s} {'load average':>13s}  stopped by")
for kind, r in runs.items():
    print(f"{kind.upper():5s} {r['settings']['seconds']:7.0f} {r['train_seconds']:6.0f} "
          f"{r['wall_seconds']:7.0f} {r['steps']:6,d} {r['characters_seen'] / 1e6:10.1f}M "
          f"{r['load_average_start']:6.1f} -{r['load_average_end']:5.1f}  {r['stopped_by']}")
rows = [(f"{k.upper()} ({r['params']:,} parameters, {r['steps']:,} steps)", r["test_bpc"])
        for k, r in runs.items()]
rows += [(name, baselines[name]) for name in ("bigram (add-one)", "Kneser-Ney, order 5",
                                              "Kneser-Ney, order 6", "gzip, given the training text",
                                              "lzma, given the training text")]
print(f"\n{'model (test split)':48s} {'bpc':>6s} {'perplexity':>11s}")
for name, bpc in sorted(rows, key=lambda r: r[1]):
    print(f"{name:48s} {bpc:6.3f} {perplexity(bpc):11.2f}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.6), layout="constrained")
for kind, r in runs.items():
    c = r["curve"]
    ax.plot(c["seconds"][1:], c["eval"][1:], "o-", ms=3, label=kind.upper())
for name, style in (("Kneser-Ney, order 6", "--"), ("lzma, given the training text", ":")):
    ax.axhline(base_run["rows"][[r["name"] for r in base_run["rows"]].index(name)]["valid_bpc"]
               if name.startswith("Kneser") else baselines[name], ls=style, color="0.3",
               label=name + (" (validation)" if name.startswith("Kneser") else " (test)"))
ax.set(xlabel="training time (CPU seconds, one thread)", ylabel="validation bits per character",
       title="Learning curves against training time (benchmarks/results/char_lm.json)")
ax.legend(fontsize=8)
plt.show()

# %%
test_bpc = {k: r["test_bpc"] for k, r in runs.items()}
steps = {k: r["steps"] for k, r in runs.items()}
cpu = {k: r["train_seconds"] for k, r in runs.items()}
wall = {k: r["wall_seconds"] for k, r in runs.items()}
budget = {k: r["settings"]["seconds"] for k, r in runs.items()}
kn4, kn5 = baselines["Kneser-Ney, order 4"], baselines["Kneser-Ney, order 5"]
lstm = runs["lstm"]
# What the text below says, checked:
assert lzma_bpc < test_bpc["lstm"] < kn6 < test_bpc["gru"] < kn5 < test_bpc["rnn"] < kn4
assert budget["gru"] == budget["rnn"] < budget["lstm"] <= 900
assert all(r["stopped_by"] == "wall cap" and r["train_seconds"] < r["settings"]["seconds"]
           for r in runs.values())
rate = {k: steps[k] / cpu[k] for k in runs}                     # steps per CPU second
assert rate["rnn"] > rate["lstm"] > rate["gru"]
kn6_valid = base_run["rows"][[r["name"] for r in base_run["rows"]].index(
    "Kneser-Ney, order 6")]["valid_bpc"]
assert lstm["valid_bpc"] < test_bpc["lstm"] and kn6_valid < kn6
display(Markdown(
    f"**Where the networks stand.** The LSTM scores **{test_bpc['lstm']:.3f}** bits per "
    f"character on the test split: it beats Kneser-Ney of order 6 (**{kn6:.3f}**), the best "
    f"counting model, by {kn6 - test_bpc['lstm']:.3f}, a narrow margin, and it does not reach "
    f"lzma (**{lzma_bpc:.3f}**), which copies whole phrases of the training text. Its budget was "
    f"{budget['lstm']:.0f} CPU seconds; the machine was so busy (load average "
    f"{lstm['load_average_start']:.0f} at the start, on 2 cores) that the wall-clock cap of "
    f"{wall['lstm'] / 60:.0f} minutes stopped it after {cpu['lstm']:.0f} CPU seconds and "
    f"{steps['lstm']:,} steps. The GRU and the RNN had half the budget "
    f"({budget['gru']:.0f} CPU seconds, all the time there was for them) and were stopped by "
    f"their caps too: the GRU after {cpu['gru']:.0f} CPU seconds and {steps['gru']:,} steps "
    f"({test_bpc['gru']:.3f}, between the order-6 and order-5 models), the RNN after "
    f"{cpu['rnn']:.0f} seconds and {steps['rnn']:,} steps ({test_bpc['rnn']:.3f}, between "
    f"orders 5 and 4). So this table does **not** rank the three cells: their budgets and "
    f"their steps differ. What it does show: on this text a one-layer LSTM of 256 units needs "
    f"thousands of steps, minutes of one core, to overtake a counting model fitted in one "
    f"pass, and an RNN step costs least ({rate['rnn']:.0f} steps per CPU second, the LSTM "
    f"{rate['lstm']:.0f}, the GRU, in PyTorch's CPU kernels, {rate['gru']:.0f}). Note also the "
    f"gap between validation and test, for the LSTM ({lstm['valid_bpc']:.3f} and "
    f"{test_bpc['lstm']:.3f}) as for the 6-gram model ({kn6_valid:.3f} and {kn6:.3f}): the "
    f"test topics are harder text, which is why every model is compared on the same split."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6. Inside the trained LSTM
#
# The benchmark's LSTM, loaded into the course's own `LSTM` layer, and checked once more against
# the fused one on the same weights:

# %%
model, ckpt_vocab, extra = charlm.load(RESULTS / "char_lm_lstm.pt")
assert ckpt_vocab.chars == vocab.chars
ours_lstm, _, _ = charlm.load(RESULTS / "char_lm_lstm.pt", course=True, dtype=torch.float64)
with torch.no_grad():
    gap = (ours_lstm(probe)[0] - model.double()(probe)[0]).abs().max().item()
model.float()
print(f"checkpoint: course LSTM vs nn.LSTM on the same weights, max |difference| = {gap:.1e} "
      "(float64)")
assert gap < 1e-10
reloaded = charlm.stream_bpc(model, vocab.encode(split.test))
print(f"test bpc of the loaded float16 weights: {reloaded:.3f} (benchmark, float32: "
      f"{extra['test_bpc']:.3f})")
assert abs(reloaded - extra["test_bpc"]) < 0.01

# %% [markdown]
# **Temperature.** Sampling divides the logits by a temperature `T` before the softmax. `T = 0`
# always takes the most likely character (and soon loops), `T = 1` samples the model's own
# distribution, a high `T` flattens it towards noise. The bars show the distribution over the
# next character at your temperature, the title a sample drawn with it (seeded: the same each
# time).

# %%
SampleExplorer(model, vocab, prompt="The value of ")

# %% [markdown]
# **Surprisal.** Type anything: each character is coloured by how many bits it cost the model
# (`-log2 p`), given everything before it. Try English, Python code, a misspelling, or a
# character the help pages never use.

# %%
SurprisalExplorer(model, vocab, {
    "prose": "The return value of a function is None.",
    "code": 'for item in items:\n    print(item["name"])',
    "misspelt": "The retrun valeu of a functoin is Nnoe.",
    "unseen": "Café: naïve résumé",
})

# %% [markdown]
# **A unit that tracks something visible.** Karpathy, Johnson and Fei-Fei (2015) found single
# LSTM units that switch on inside quotes or count indentation. Search for one here: run the
# model over 20,000 validation characters and, for three things a reader can see (inside double
# quotes, inside brackets, position in the line), find the unit whose value correlates most with
# it.

# %%
stretch = split.valid[:20_000]
hidden = charlm.hidden_trace(model, vocab, stretch)
line_pos = np.array([i - stretch.rfind("\n", 0, i + 1) - 1 for i in range(len(stretch))])
features = {"inside double quotes": charlm.inside_quotes(stretch),
            "inside brackets": charlm.bracket_depth(stretch) > 0,
            "position in the line": line_pos}
found = {name: charlm.best_unit(hidden, f) for name, f in features.items()}
for name, (unit, r) in found.items():
    print(f"{name:22s} unit {unit:3d}  correlation {r:+.2f}")
feature = max(found, key=lambda n: abs(found[n][1]))
unit, r = found[feature]
assert abs(r) > 0.45 and feature == "inside double quotes"  # what the text below says

# %%
start = next(i for i in range(0, len(stretch) - 200) if features[feature][i:i + 200].any()
             and not features[feature][i:i + 200].all())
shown = slice(start, start + 160)
fig, ax = plt.subplots(figsize=(9, 2.6), layout="constrained")
ax.plot(hidden[shown, unit], color="tab:red", label=f"unit {unit}")
target = np.asarray(features[feature][shown], dtype=float)
ax2 = ax.twinx()
ax2.fill_between(np.arange(len(target)), 0, target, color="tab:blue", alpha=0.2, step="mid")
ax2.set_yticks([])
ax.set(xticks=range(0, 160, 4), ylabel="unit value",
       title=f"unit {unit} (red) and '{feature}' (shaded), r = {r:+.2f} over 20,000 characters")
ax.set_xticklabels([stretch[start + i].replace("\n", "⏎") for i in range(0, 160, 4)],
                   family="monospace", fontsize=8)
plt.show()
display(Markdown(
    f"Of {hidden.shape[1]} units, unit **{unit}** follows *{feature}* most closely (correlation "
    f"**{r:+.2f}** over 20,000 held-out characters). Nobody told it to: tracking this helps "
    f"predict the next character (inside a string, different characters follow), so training "
    f"found it. The sign means nothing: a unit that goes down inside quotes tracks them as "
    f"well as one that goes up. A correlation of {abs(r):.2f} is a tendency, not a switch: "
    f"the plot shows where it follows the quotes and where it does not."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7. Forecasting a real series: weekly CO2 at Mauna Loa
#
# The same discipline on a different task. `statsmodels` ships the weekly CO2 record of Mauna
# Loa (1958-2001, parts per million): a rising trend and a yearly cycle. Some weeks have no
# measurement. They are handled in two ways, both so that no forecast sees the future:
# as **inputs**, a missing week takes the last value observed before it (never an
# interpolation, which would read the next observation); as **targets**, a missing week is
# simply not scored.
#
# **Rolling origin.** The last two years are the test period. From every week `o` in it (the
# origin), each model forecasts the next 1 to 13 weeks using the data up to `o` only; the errors
# are averaged over origins, separately for each step ahead. The models:
#
# - **last value**: every future week equals this week;
# - **seasonal naive**: each week repeats the value 52 weeks earlier (exercise 2 asks you to
#   write it);
# - **Holt-Winters** (additive trend and season, `statsmodels`' `ExponentialSmoothing`), fitted
#   once on the training years;
# - a **GRU** (32 units) reading the last 52 weeks, as changes from this week's value, trained on
#   the training years only, either **one step** ahead and fed its own forecasts 13 times
#   (recursive), or with **13 outputs** at once (direct).

# %%
from rnnlab import forecast as fc  # noqa: E402
from rnnlab.lm_explorers import ForecastExplorer  # noqa: E402

dates, co2 = fc.co2_weekly()
past = fc.fill_forward(co2)
H, test_weeks, window = 13, 104, 52
train_end = len(co2) - test_weeks
origins = np.arange(train_end - 1, len(co2) - H)
print(f"{len(co2)} weeks, {np.isnan(co2).sum()} missing ({np.isnan(co2[train_end:]).sum()} in "
      f"the test period); training {str(dates[0])[:10]} to {str(dates[train_end - 1])[:10]}, "
      f"{len(origins)} forecast origins in the test period")

forecasts = {"last value": fc.last_value(past, origins, H),
             "seasonal naive": fc.seasonal_naive(past, origins, H)}
forecasts["Holt-Winters"], hw_params = fc.holt_winters(past, train_end, origins, H)
one_step, scale = fc.train_gru(past, train_end, window, 1, steps=200, batch=32)
direct, _ = fc.train_gru(past, train_end, window, H, steps=200, batch=32)
forecasts["GRU recursive"] = fc.gru_recursive(one_step, scale, past, origins, window, H)
forecasts["GRU direct"] = fc.gru_direct(direct, scale, past, origins, window)
errs = {name: fc.errors(co2, f, origins) for name, f in forecasts.items()}
print(f"\n{'model (test period)':16s} {'MAE 1 wk':>9s} {'RMSE 1 wk':>10s} {'MAE 13 wk':>10s} "
      f"{'RMSE 13 wk':>11s}   (ppm)")
for name, e in errs.items():
    print(f"{name:16s} {e['mae'][0]:9.3f} {e['rmse'][0]:10.3f} {e['mae'][-1]:10.3f} "
          f"{e['rmse'][-1]:11.3f}")

# %%
mae1 = {k: e["mae"][0] for k, e in errs.items()}
mae13 = {k: e["mae"][-1] for k, e in errs.items()}
# What the text below says, checked:
assert mae1["GRU recursive"] < mae1["Holt-Winters"] < mae1["last value"] < mae1["seasonal naive"]
assert mae13["seasonal naive"] < mae13["last value"]
assert mae13["GRU direct"] < mae13["Holt-Winters"] < mae13["seasonal naive"]
assert mae13["GRU recursive"] > mae13["GRU direct"] + 0.3
display(Markdown(
    f"One week ahead the last value is hard to beat (MAE **{mae1['last value']:.2f}** ppm): "
    f"CO2 changes little in a week. Holt-Winters ({mae1['Holt-Winters']:.2f}) and the "
    f"one-step GRU ({mae1['GRU recursive']:.2f}) beat it by a little; the seasonal naive "
    f"forecast ({mae1['seasonal naive']:.2f}) is worst, since it misses a year of trend. "
    f"Thirteen weeks ahead the order changes: the last value ({mae13['last value']:.2f}) misses "
    f"the season, the seasonal naive ({mae13['seasonal naive']:.2f}) keeps it. The direct GRU "
    f"is best there (**{mae13['GRU direct']:.2f}**, Holt-Winters {mae13['Holt-Winters']:.2f}), "
    f"while the *same kind* of GRU trained one step ahead and fed its own forecasts reaches "
    f"**{mae13['GRU recursive']:.2f}**: each step's error becomes the next step's input, and "
    f"it was never trained on its own mistakes. Direct training asks the question you will "
    f"ask."))

# %% [markdown]
# Pick a model and how many weeks ahead: the line is the forecast each week received that many
# weeks earlier.

# %%
ForecastExplorer(co2, origins, forecasts, dates=dates)

# %% [markdown]
# **A lagging forecast looks convincing.** Plotted over the test period, "next week equals this
# week" hugs the curve. Its correlation with the truth, and its error against the simplest
# seasonal alternative 13 weeks ahead:

# %%
targets = origins + 1
seen = ~np.isnan(co2[targets])
r_lag = np.corrcoef(forecasts["last value"][seen, 0], co2[targets][seen])[0, 1]
print(f"last value, 1 week ahead: correlation with the truth {r_lag:.3f}; 13 weeks ahead its "
      f"MAE is {mae13['last value']:.2f} ppm against {mae13['seasonal naive']:.2f} for "
      "seasonal naive")
assert r_lag > 0.95 and mae13["last value"] > mae13["seasonal naive"]
display(Markdown(
    f"A correlation of **{r_lag:.3f}** from a forecast that knows nothing: any trending series "
    f"correlates with itself shifted by a week. A plot or a correlation is not an evaluation; "
    f"an error beside a baseline, at the horizon you care about, is."))

# %% [markdown]
# **Stock prices: "tomorrow equals today".** matplotlib ships daily Google share prices
# (2004-2008, `goog.npz`). The same one-step GRU (20 days of price changes in, the next change
# out), trained on the first 80% of the days, forecasts each next day of the last 20%.

# %%
days, price = fc.goog_daily()
g_train_end = int(0.8 * len(price))
g_origins = np.arange(g_train_end - 1, len(price) - 1)
tomorrow_today = fc.last_value(price, g_origins, 1)
g_model, g_scale = fc.train_gru(price, g_train_end, window=20, outputs=1, steps=200, batch=32)
g_forecast = fc.gru_direct(g_model, g_scale, price, g_origins, 20)
mae_naive = fc.errors(price, tomorrow_today, g_origins)["mae"][0]
mae_gru = fc.errors(price, g_forecast, g_origins)["mae"][0]
returns = np.diff(np.log(price[:g_train_end]))
r_returns = np.corrcoef(returns[:-1], returns[1:])[0, 1]
truth = price[g_origins + 1]
r_truth = np.corrcoef(g_forecast[:, 0], truth)[0, 1]
r_today = np.corrcoef(g_forecast[:, 0], price[g_origins])[0, 1]
print(f"{len(g_origins)} test days: MAE tomorrow-equals-today {mae_naive:.2f} dollars, GRU "
      f"{mae_gru:.2f}")
print(f"GRU forecast: correlation {r_truth:.3f} with the next day's price, {r_today:.5f} with "
      f"today's; day-to-day correlation of returns in the training years {r_returns:+.3f}")
assert mae_gru > 0.98 * mae_naive and r_today > 0.999 and abs(r_returns) < 0.1

# %%
fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
last = slice(-60, None)
ax.plot(days[g_origins + 1][last], truth[last], "k.-", ms=3, label="price")
ax.plot(days[g_origins + 1][last], g_forecast[last, 0], color="tab:red", label="GRU forecast")
ax.set(ylabel="dollars", title="The last 60 test days: the forecast is the price, one day late")
ax.legend(fontsize=8)
plt.show()
display(Markdown(
    f"On the plot the GRU looks good, and its forecast correlates **{r_truth:.3f}** with the "
    f"real price. Its error is no better than copying today's price (MAE **{mae_gru:.2f}** "
    f"dollars against **{mae_naive:.2f}**): its forecast correlates **{r_today:.5f}** with *today's* "
    f"price. It learned to lag. No surprise: one day's return barely "
    f"predicts the next (correlation {r_returns:+.3f} in the training years), as expected of a "
    f"traded price. The plot shows a lag; only the comparison with the naive forecast shows "
    f"that nothing was learned."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 8. Classifying whole sequences of different lengths
#
# **JapaneseVowels** (Kudo, Toyama and Shimbo, 1999; UCI, CC BY 4.0; shipped in
# `rnnlab/data/`): nine speakers say "ae"; each recording is 7 to 29 frames of 12 coefficients;
# name the speaker. The standard baseline for such data is **1-nearest-neighbour with dynamic
# time warping** (DTW): a test recording gets the label of the training recording it is
# closest to, where "closest" lets one recording be stretched in time to match the other.
# `rnnlab.sequences.dtw_matrix` runs the textbook recursion
# `D[i, j] = |a_i - b_j|^2 + min(D[i-1, j], D[i, j-1], D[i-1, j-1])` for all pairs at once (the
# unit tests check it against the one-cell-at-a-time loop).
#
# The network: a GRU over a **packed** batch (lesson 02: no padding step is read), its final
# state into a linear head, many-to-one.

# %%
from rnnlab import sequences as seqs  # noqa: E402

vowels_train, vowels_test = seqs.japanese_vowels()
lengths = [len(c) for c in vowels_train.cases + vowels_test.cases]
print(f"{len(vowels_train)} training and {len(vowels_test)} test recordings, "
      f"{vowels_train.cases[0].shape[1]} channels, {min(lengths)} to {max(lengths)} frames")
dist = seqs.dtw_matrix(vowels_test.cases, vowels_train.cases)
acc_dtw = float((vowels_train.labels[dist.argmin(1)] == vowels_test.labels).mean())
aeon_line = next(line for line in (RESULTS / "dependency_cost.txt").read_text().splitlines()
                 if "1-NN DTW test accuracy" in line)
acc_aeon = float(aeon_line.split()[-1])
print(f"1-NN DTW, written here: test accuracy {acc_dtw:.4f}; aeon's 1-NN DTW on the same split, "
      f"measured once in a separate environment: {acc_aeon:.4f}")
assert round(acc_dtw, 4) == acc_aeon

# %%
gru_acc = {}
for bidirectional in (False, True):
    torch.manual_seed(0)
    clf = seqs.SequenceGRU(12, 9, hidden=32, bidirectional=bidirectional)
    seqs.train_classifier(clf, vowels_train, steps=150)
    gru_acc[bidirectional] = seqs.accuracy(clf, vowels_test)
    print(f"GRU, {'bidirectional' if bidirectional else 'one direction'}, packed: test accuracy "
          f"{gru_acc[bidirectional]:.4f}")
n_test = len(vowels_test)
gap_cases = round(abs(gru_acc[True] - gru_acc[False]) * n_test)
# What the text below says, checked:
assert min(gru_acc.values()) > acc_dtw and gap_cases <= 3
display(Markdown(
    f"Both GRUs beat 1-NN DTW (**{gru_acc[False]:.3f}** and **{gru_acc[True]:.3f}** against "
    f"**{acc_dtw:.3f}**), after 150 steps of training on 270 recordings. Reading each "
    f"recording in both directions moves the accuracy by **{gap_cases}** of {n_test} test "
    f"cases: no measurable gain (one seed; a few cases either way is noise). The reason: the speaker's voice is in "
    f"every frame, both models answer after reading the whole recording, and at 7 to 29 frames "
    f"no early frame is far from the final state, so the backward direction brings neither new "
    f"information nor a shorter path (lesson 06's two reasons for it). The DTW figure matches "
    f"the one aeon's 1-NN DTW gave on this split. A published figure for this baseline (the UEA "
    f"archive, Bagnall et al., 2018) could not be checked offline here; Ruiz et al. (2021) "
    f"compared only the equal-length problems of the archive, which leaves this one out."))

# %% [markdown]
# **Dropout and layer normalisation, measured.** Small data is where regularisation should
# help: 270 training recordings. Three versions of the one-way GRU, each trained with two
# seeds: plain; dropout 0.3 on the input frames and on the final state; layer normalisation of
# the final state before the head.

# %%
variants = {"plain": {}, "dropout 0.3": {"dropout": 0.3}, "layer norm": {"layer_norm": True}}
reg_acc = {}
for name, options in variants.items():
    reg_acc[name] = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        clf = seqs.SequenceGRU(12, 9, hidden=32, **options)
        seqs.train_classifier(clf, vowels_train, steps=150, seed=seed)
        reg_acc[name].append(seqs.accuracy(clf, vowels_test))
    print(f"{name:12s} test accuracy, seeds 0 and 1: "
          + ", ".join(f"{a:.4f}" for a in reg_acc[name]))
means = {k: float(np.mean(v)) for k, v in reg_acc.items()}
seed_spread = max(abs(v[0] - v[1]) for v in reg_acc.values())
effect = max(means.values()) - min(means.values())
# What the text below says, checked:
assert effect <= seed_spread + 1e-12
display(Markdown(
    f"The mean accuracies lie within **{effect * n_test:.1f}** test cases of each other, while "
    f"changing the seed alone moves one variant by up to **{seed_spread * n_test:.0f}** "
    f"cases: at this size and budget neither dropout nor layer normalisation has an effect "
    f"that two seeds can tell from chance. Regularisation pays when a model overfits; "
    f"whether and when it does here is a question for more seeds and longer runs, not for a "
    f"single comparison."))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9. Pitfalls, computed
#
# **Scoring on training text.** The 5-gram model on a stretch of its own training text, and on
# held-out text of the same length:

# %%
kn5_model = KneserNey(split.train, vocab, order=5)
on_train = kn5_model.bits_per_char(split.train[:20_000])
on_test = kn5_model.bits_per_char(split.test[:20_000])
print(f"Kneser-Ney order 5: {on_train:.3f} bpc on training text, {on_test:.3f} on held-out text")
assert on_train < on_test - 0.3
display(Markdown(
    f"On text it has counted, the 5-gram model scores **{on_train:.2f}** bits per character; "
    f"on held-out text **{on_test:.2f}**. A score on training data measures memory, not "
    f"prediction."))

# %% [markdown]
# **Resetting the state at evaluation.** A model trained with a carried state, scored with every
# window of 20 characters starting from an empty state (a common slip when evaluation code is
# copied from a classifier):

# %%
from rnnlab.compare import bits_per_char as windowed_bpc  # noqa: E402

test_part = vocab.encode(split.test[:20_000])
carried = windowed_bpc(model, test_part, context=20, batch=16, carry=True)
fresh = windowed_bpc(model, test_part, context=20, batch=16, carry=False)
print(f"windows of 20 characters: state carried {carried:.3f} bpc, state reset {fresh:.3f} bpc")
assert carried < fresh - 0.1
display(Markdown(
    f"The same weights score **{carried:.2f}** with the state carried and **{fresh:.2f}** when "
    f"each window of 20 characters starts from nothing: the first characters of every window are "
    f"guessed blind. Evaluate the way the model will be used."))

# %% [markdown]
# **Scaling with statistics of the test period.** Networks train best on inputs near zero with
# unit spread, so a series is usually standardised: subtract a mean, divide by a standard
# deviation. *Which* mean is the pitfall. Take a GRU that reads CO2 *levels* (13 weeks,
# standardised) and predicts next week's level, on the chronological split of section 7 (the
# last 104 weeks are the test). Three ways to fit the standardiser:
#
# - on the **training weeks only** (the honest way: at forecast time nothing later exists);
# - on the **whole series**, before splitting (the common slip: one `fit` on all the data);
# - on the **test weeks themselves** for the test inputs (another slip: "standardise each part").
#
# The last two use statistics of weeks that lie *after* the forecast origin.

# %%
W_lvl = 13
lvl_ends = np.arange(W_lvl - 1, len(past) - 1)           # window ending at e predicts week e + 1
tr_ends, te_ends = fc.split_ends(lvl_ends, 104, "chronological")
first_test = te_ends[0] + 1


def one_week_mae(pred, ends):
    """MAE in ppm of one-week forecasts (n, 1) for the weeks after ``ends``, observed ones only."""
    truth = co2[ends + 1]
    seen = ~np.isnan(truth)
    return float(np.abs(pred[seen, 0] - truth[seen]).mean())


scalers = {"training weeks only": fc.Standardiser(past[:first_test]),
           "whole series": fc.Standardiser(past),
           "test weeks": fc.Standardiser(past[first_test:])}
honest_gru = fc.fit_window_gru(*fc.level_windows(past, tr_ends, W_lvl,
                                                 scalers["training weeks only"]),
                               steps=200, batch=32)
whole_gru = fc.fit_window_gru(*fc.level_windows(past, tr_ends, W_lvl, scalers["whole series"]),
                              steps=200, batch=32)
scaled_mae = {  # the test-weeks slip: the honest model, fed test inputs scaled by test statistics
    "training weeks only": one_week_mae(fc.level_forecast(
        honest_gru, past, te_ends, W_lvl, scalers["training weeks only"]), te_ends),
    "whole series": one_week_mae(fc.level_forecast(
        whole_gru, past, te_ends, W_lvl, scalers["whole series"]), te_ends),
    "test weeks": one_week_mae(fc.level_forecast(
        honest_gru, past, te_ends, W_lvl, scalers["test weeks"]), te_ends)}
lvl_last = one_week_mae(past[te_ends][:, None], te_ends)
lvl_bias = float(np.nanmean(fc.level_forecast(honest_gru, past, te_ends, W_lvl,
                                              scalers["training weeks only"])[:, 0]
                            - co2[te_ends + 1]))
above = float((past[te_ends + 1] > past[tr_ends + 1].max()).mean())
print(f"GRU on standardised levels, one week ahead, the last 104 weeks (last value: "
      f"{lvl_last:.3f} ppm)")
for how, m in scaled_mae.items():
    print(f"  standardiser fitted on the {how:20s} MAE {m:.3f} ppm")
print(f"honest model: mean error {lvl_bias:+.2f} ppm; {above:.0%} of the test weeks lie above "
      f"every training week")
honest_mae = scaled_mae["training weeks only"]
assert scaled_mae["test weeks"] < scaled_mae["whole series"] < honest_mae
assert honest_mae > 1.5 * lvl_last and abs(scaled_mae["test weeks"] - lvl_last) < 0.1 * lvl_last
assert lvl_bias < -0.3 and above > 0.2
display(Markdown(
    f"Scaled honestly, the level GRU is poor: MAE **{honest_mae:.2f}** ppm, "
    f"{honest_mae / lvl_last:.1f} times the last value's {lvl_last:.2f}. The *same weights*, "
    f"fed test inputs standardised with the test weeks' own mean, score "
    f"**{scaled_mae['test weeks']:.2f}**, level with the last value: the test mean tells the "
    f"model where the next two years will be. Fitting once on the whole series lands in "
    f"between ({scaled_mae['whole series']:.2f}). Why levels hurt at all: CO2 rises, "
    f"{above:.0%} of the test weeks are higher than any training week, and a GRU's output, a "
    f"linear read-out of a state squashed by tanh, does not go far past what it was trained "
    f"on; its honest forecasts are too low on average ({lvl_bias:+.2f} ppm). The test-period "
    f"mean hides exactly that failure. Fit every statistic (mean, scale, a fitted model's "
    f"parameters) on the training period, and apply it unchanged to the test period."))

# %% [markdown]
# **A random split of a time series.** For images, a random tenth of the examples is a fair
# test set. For a series, windows drawn at random have training windows on both sides of them
# in time, overlapping them by up to 12 weeks: the model is asked to fill a gap, not to forecast.
# The same level GRU, trained on all windows but 104 drawn at random and scored on those,
# against the chronological split above; and the same comparison for a GRU that reads *changes
# from the origin's value* (the inputs of section 7). The test weeks differ between the two
# splits (random ones are spread over 43 years), so each error is also given as a ratio to the
# last value's error on the same weeks.

# %%
rtr_ends, rte_ends = fc.split_ends(lvl_ends, 104, "random", seed=0)
rand_scaler = fc.Standardiser(past[rtr_ends + 1])
rand_gru = fc.fit_window_gru(*fc.level_windows(past, rtr_ends, W_lvl, rand_scaler), steps=200,
                             batch=32)
rand_last = one_week_mae(past[rte_ends][:, None], rte_ends)
split_mae = {("levels", "chronological"): honest_mae,
             ("levels", "random"): one_week_mae(
                 fc.level_forecast(rand_gru, past, rte_ends, W_lvl, rand_scaler), rte_ends)}
for how, tr_e, te_e in (("chronological", tr_ends, te_ends), ("random", rtr_ends, rte_ends)):
    step_scale = float(np.std(np.diff(past)[tr_e]))          # the training targets' weekly changes
    rel_gru = fc.fit_window_gru(*fc.make_windows(past, tr_e, W_lvl, 1, step_scale), steps=200,
                                batch=32)
    split_mae["changes", how] = one_week_mae(fc.gru_direct(rel_gru, step_scale, past, te_e,
                                                           W_lvl), te_e)
split_last = {"chronological": lvl_last, "random": rand_last}
ratio = {k: m / split_last[k[1]] for k, m in split_mae.items()}
rand_above = float((past[rte_ends + 1] > past[rtr_ends + 1].max()).mean())
print(f"{'GRU inputs':10s} {'split':14s} {'MAE (ppm)':>9s} {'last value':>11s} {'ratio':>6s}")
for (inputs, how), m in split_mae.items():
    print(f"{inputs:10s} {how:14s} {m:9.3f} {split_last[how]:11.3f} {ratio[inputs, how]:6.2f}")
print(f"test weeks above every training week: chronological {above:.0%}, random {rand_above:.0%}")
assert ratio["levels", "random"] < 0.7 * ratio["levels", "chronological"]
assert ratio["levels", "chronological"] > 1.5 and ratio["levels", "random"] < 1.15
assert abs(ratio["changes", "random"] - ratio["changes", "chronological"]) < 0.1
assert max(ratio["changes", "random"], ratio["changes", "chronological"]) < 0.9
assert rand_above == 0
display(Markdown(
    f"On levels, the random split flatters the model: **{ratio['levels', 'random']:.2f}** times "
    f"the last value's error, against **{ratio['levels', 'chronological']:.2f}** on the "
    f"chronological split. With random windows no test week lies above the training range "
    f"({rand_above:.0%}, against {above:.0%}): every test level has training windows at the "
    f"same level a few weeks away, so the model interpolates between neighbours it has seen. "
    f"A forecast has no such neighbours; it must go beyond the training range. For the GRU "
    f"that reads changes from the origin, the two splits agree "
    f"({ratio['changes', 'random']:.2f} and {ratio['changes', 'chronological']:.2f}, both "
    f"better than the last value): its inputs never say where the level is, only how the "
    f"series moves, and a week's change looks the same in 1960 and in 2000. So a random split "
    f"is not always an illusion, but you only learn whether it is by running the chronological "
    f"one, which is the honest test anyway. Split by time; for a final check, use a rolling "
    f"origin as in section 7."))

# %% [markdown]
# - *"The loss is 1.04, so the model needs 1.04 bits per character."* `F.cross_entropy` is in
#   nats; divide by ln 2 (section 3).
# - *"`nn.LSTM(dropout=0.3)` regularises my one-layer model."* It does nothing there (section 4).
# - *"The network is better because it is a network."* Only a baseline on the same held-out text
#   can say (section 5).
#
# ## 10. Quiz

# %%
quiz.show("bits-from-nats")

# %%
quiz.show("perplexity")

# %%
quiz.show("split-by-document")

# %%
quiz.show("carried-state")

# %%
quiz.show("lstm-dropout-arg")

# %%
quiz.show("lose-to-baseline")

# %%
quiz.show("recursive-direct")

# %%
quiz.score()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 11. Exercises
#
# ### Exercise 1: bits per character from logits
# Write `bits_per_char(logits, targets)`: `logits` `(N, V)` float64, `targets` `(N,)` int64; return
# the mean over the N positions of `-log2 p(target)`, as a 0-d tensor, with `p` the softmax of
# the logits. (`F.cross_entropy` gives nats; section 3 said how to convert.)

# %% slideshow={"slide_type": "skip"}
def bits_per_char(logits, targets):
    ### BEGIN SOLUTION
    log_p = torch.log_softmax(logits, dim=-1)
    nats = -log_p[torch.arange(len(targets)), targets].mean()
    return nats / math.log(2)
    ### END SOLUTION


# %%
check("l07.bits_per_char", bits_per_char)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Exercise 2: the seasonal-naive forecast
# The first baseline for a series with a season of length `m` (52 weeks, 7 days): each future
# value repeats the value observed one season earlier. Write `seasonal_naive(history, season,
# horizon)`: `history` `(T,)` float64 with `T >= season`; return `(horizon,)` where step `h`
# (0-based) is `history[T - season + (h % season)]`: the last observed season, repeated as often
# as needed.

# %% slideshow={"slide_type": "skip"}
def seasonal_naive(history, season, horizon):
    ### BEGIN SOLUTION
    last = history[-season:]
    return last[torch.arange(horizon) % season]
    ### END SOLUTION


# %%
check("l07.seasonal_naive", seasonal_naive)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 12. Summary
#
# - Real text, split by document; scores in bits per character on held-out text, beside
#   counting models and compressors. Without the baselines, no number here would mean anything.
# - Stateful truncated BPTT: one long stream, the state carried and detached between windows;
#   clipping; dropout on inputs and outputs added by hand, since `nn.LSTM(dropout=...)` acts only
#   between layers.
# - Inside the model: temperature, surprisal, and a unit that follows something you can see.
# - Forecasting weekly CO2 with a rolling origin: inputs only from the past (missing weeks
#   filled forward, not interpolated), errors per step ahead beside last value, seasonal naive
#   and Holt-Winters; a direct multi-step GRU against the same GRU run recursively.
# - On text, an LSTM given minutes of one core narrowly beat the best counting model and stayed
#   behind lzma; on CO2 13 weeks ahead a GRU won. Both are results only because the baselines
#   were scored on the same held-out data.
# - Whole recordings of different lengths: a packed GRU against 1-NN DTW, and a bidirectional
#   layer that brought nothing measurable here, for reasons lesson 06 predicts.
#
# - Daily stock prices: a GRU that learned to lag, as good as "tomorrow equals today" and no
#   better, although its plot looks convincing.
#
# - Dropout and layer normalisation on the classifier: no effect beyond the seed-to-seed
#   spread at this size and budget.
#
# - Two pitfalls of forecasting, measured: a standardiser fitted on test-period statistics
#   made a level GRU look as good as the last value while it was far worse; a random split
#   of the windows flattered the same model, because it let it interpolate between training
#   weeks at the same level.

# %%
display(Markdown(next_lesson(7, "adds attention to an encoder-decoder, and shows where it looks")))
