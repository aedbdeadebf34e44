"""RNN Lab: the library shared by the course's lessons.

Modules: ``models`` (from-scratch RNN, LSTM, GRU with torch's interfaces; ``layers`` holds their
shared parameter set-up), ``bptt`` (manual
backpropagation through time), ``gradients`` (gradient norms per time step), ``text``
(character-level data and sampling), ``data`` (the course's built-in data sets), ``train`` (fit
loop, seeding, device), ``quiz`` (quiz cells), ``check`` and ``exercises`` (exercise checkers,
one module per lesson), ``widgets`` (guarded callbacks, sweeps, in-place figures), ``build``
(notebooks from lesson sources).
"""

__version__ = "0.1.0"
