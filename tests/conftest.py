"""Shared test set-up. Widget callbacks that raise fail the tests (see rnnlab.widgets)."""

import os

os.environ.setdefault("RNNLAB_STRICT", "1")
