"""RNN Lab: the library shared by the course's lessons.

Modules:
- lessons 01-06: ``models`` and ``gated`` (from-scratch RNN, LSTM, GRU, drop-ins for torch's;
  ``layers`` holds what they share), ``bptt`` (manual backpropagation through time),
  ``gradients`` (gradient norms per time step), ``text`` (character-level data and sampling),
  ``data`` (the course's built-in data sets), ``train`` (fit loop, seeding, device);
- the learner's side: ``quiz`` (quiz cells), ``check``, ``exercises`` and ``solutions.json``
  (checked exercises, solutions on request), ``progress`` (answers kept across sessions),
  ``workspace`` (the learner's own copies of the lessons), ``course`` (lesson links);
- interaction: ``widgets`` (guarded callbacks, blitting, the Explorer base), ``explorers`` (the
  lessons' interactive plots);
- lessons 07-09 (library first): ``corpus`` and ``baselines`` (real text, n-gram and compressor
  baselines), ``seqtasks``, ``attention`` and ``seq2seq`` (encoder-decoder and attention),
  ``transformer``, ``mingru``, ``tasks`` and ``compare`` (Transformer against recurrent networks);
- ``build`` (notebooks from the lesson sources).
"""

__version__ = "0.1.0"

import os as _os

# torch's profiler (Kineto) prints its own bookkeeping to stderr ("SyncActivityProfilerHandler
# ... profiler_start"), which a notebook shows in a red box as if it were an error. Its lines of
# that kind have the highest log level, so the only setting that drops them drops all of its
# messages; set KINETO_LOG_LEVEL yourself to see them again.
_os.environ.setdefault("KINETO_LOG_LEVEL", "6")
