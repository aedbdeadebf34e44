"""Checked exercises, one module per lesson (``l01``, ``l02``, ...), each with ``EXERCISES``."""
