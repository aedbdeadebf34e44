"""RNN Lab: the library shared by the course's lessons.

Modules: ``models`` (from-scratch RNN, LSTM, GRU with torch's interfaces; ``layers`` holds their
shared parameter set-up), ``bptt`` (manual
backpropagation through time), ``gradients`` (gradient norms per time step), ``text``
(character-level data and sampling), ``data`` (the course's built-in data sets), ``train`` (fit
loop, seeding, device), ``quiz`` (quiz cells), ``check`` and ``exercises`` (exercise checkers,
one module per lesson), ``widgets`` (guarded callbacks, sweeps, blitting), ``explorers`` (the
lessons' interactive plots), ``build``
(notebooks from lesson sources).
"""

__version__ = "0.1.0"

import os as _os

# torch's profiler (Kineto) prints its own bookkeeping to stderr ("SyncActivityProfilerHandler
# ... profiler_start"), which a notebook shows in a red box as if it were an error. Its lines of
# that kind have the highest log level, so the only setting that drops them drops all of its
# messages; set KINETO_LOG_LEVEL yourself to see them again.
_os.environ.setdefault("KINETO_LOG_LEVEL", "6")
