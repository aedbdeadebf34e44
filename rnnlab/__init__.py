"""RNN Lab: the library shared by the course's lessons.

Modules: ``quiz`` (quiz cells), ``check`` (exercise checkers), ``exercises`` (one module per
lesson), ``widgets`` (guarded callbacks, sweeps, in-place figures), ``train`` (fit loop, seeding,
device), ``data`` (the course's built-in data sets), ``build`` (notebooks from lesson sources).
"""

__version__ = "0.1.0"
