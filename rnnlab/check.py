"""Exercise checkers: run a learner's function on random inputs against a reference.

A lesson does::

    from rnnlab.check import check
    check("l01.dense_forward", dense_forward)

and gets one line back: passed, or exactly what is wrong (not implemented yet; not a function;
wrong type, shape or dtype with expected vs got; NaN; the largest error and where; an exception,
which one and on which line). A checker never raises.

Exercises live in ``rnnlab/exercises/<lesson>.py``, each module holding ``EXERCISES``, a dict of
``Exercise`` by name.
"""

from __future__ import annotations

import importlib
import inspect
import json
import math
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import torch


@dataclass
class Exercise:
    """One checked exercise.

    ``make_inputs(gen)`` returns the positional arguments for one trial from a seeded
    ``torch.Generator``; ``reference`` is called on a copy of the same arguments.
    """

    name: str
    reference: Callable
    make_inputs: Callable[[torch.Generator], tuple]
    trials: int = 5
    atol: float = 1e-8
    rtol: float = 1e-6
    seed: int = 0


@dataclass
class CheckResult:
    passed: bool
    message: str
    ran: bool = True   # False when nothing was tried: not implemented yet, or no such exercise

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    def _ipython_display_(self):
        # check() has printed the line already; showing it again as Out[] would repeat it.
        pass


def _describe(args) -> str:
    parts = []
    for a in args:
        if isinstance(a, torch.Tensor):
            parts.append(f"tensor{tuple(a.shape)}")
        else:
            parts.append(repr(a) if len(repr(a)) < 20 else type(a).__name__)
    return "(" + ", ".join(parts) + ")"


def _clone(x):
    if isinstance(x, torch.Tensor):
        return x.detach().clone()
    if isinstance(x, (tuple, list)):
        return type(x)(_clone(v) for v in x)
    return x


def _where(index: int, total: int, args) -> str:
    return f"on random input {index + 1} of {total}, arguments {_describe(args)}"


def _learner_line(err: BaseException) -> str:
    """The last line of the traceback that is not inside the checker itself."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename != __file__]
    if not frames or not frames[-1].line:
        return ""
    return f" at `{frames[-1].line.strip()}`"


def compare(expected, got, atol: float, rtol: float, path: str = "output") -> str | None:
    """None when ``got`` matches ``expected``; otherwise what is wrong, in one phrase."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return (f"{path}: expected a tuple of {len(expected)} values, "
                    f"got {type(got).__name__}")
        if len(got) != len(expected):
            return f"{path}: expected {len(expected)} values, got {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            problem = compare(e, g, atol, rtol, f"{path}[{i}]")
            if problem:
                return problem
        return None
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"{path}: expected a torch.Tensor, got {type(got).__name__}"
        if tuple(got.shape) != tuple(expected.shape):
            return (f"wrong shape for {path}: expected {tuple(expected.shape)}, "
                    f"got {tuple(got.shape)}")
        if got.dtype != expected.dtype:
            return f"wrong dtype for {path}: expected {expected.dtype}, got {got.dtype}"
        got, expected = got.detach(), expected.detach()
        if got.is_floating_point():
            bad = torch.isnan(got) & ~torch.isnan(expected)
            if bad.any():
                idx = tuple(int(i) for i in bad.nonzero()[0])
                return (f"{path} contains NaN (first at index {idx}, "
                        f"where the answer is {expected[idx].item():.6g})")
            if not torch.allclose(got, expected, atol=atol, rtol=rtol, equal_nan=True):
                err = (got - expected).abs().nan_to_num(nan=0.0, posinf=math.inf)
                flat = int(err.argmax())
                idx = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), err.shape))
                line = (f"wrong values in {path}: max abs error {err.max().item():.3g} at index "
                        f"{idx} (expected {expected[idx].item():.6g}, got {got[idx].item():.6g})")
                return line + _precision_hint(got, expected)
            return None
        if not torch.equal(got, expected):
            idx = tuple(int(i) for i in (got != expected).nonzero()[0])
            return (f"wrong values in {path} at index {idx}: "
                    f"expected {expected[idx].item()}, got {got[idx].item()}")
        return None
    if isinstance(expected, bool) or isinstance(expected, int):
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, int) or got != expected:
            return f"{path}: expected {expected!r}, got {got!r}"
        return None
    if isinstance(expected, float):
        try:
            value = float(got)
        except (TypeError, ValueError):
            return f"{path}: expected a number, got {type(got).__name__}"
        if math.isnan(value):
            return f"{path} is NaN, expected {expected:.6g}"
        if abs(value - expected) > atol + rtol * abs(expected):
            return f"wrong value for {path}: expected {expected:.6g}, got {value:.6g}"
        return None
    return None if got == expected else f"{path}: expected {expected!r}, got {got!r}"


def _precision_hint(got: torch.Tensor, expected: torch.Tensor) -> str:
    """A hint when a float64 answer is off by float32 rounding only: part of the computation ran
    in float32 (a tensor made without ``dtype=``, or a ``.float()``)."""
    if expected.dtype != torch.float64:
        return ""
    scale = expected.abs().max().item() + 1e-300
    rel = (got - expected).abs().max().item() / scale
    if 1e-9 < rel < 1e-5 and math.isfinite(rel):
        return (": an error this small is float32 rounding (float32 keeps about 7 digits); did "
                "part of your computation run in float32, e.g. a tensor made without "
                "dtype=torch.float64?")
    return ""


def run_check(exercise: Exercise, fn) -> CheckResult:
    """Check ``fn`` against ``exercise``; never raises."""
    name = getattr(fn, "__name__", "your function")
    if not callable(fn):
        return CheckResult(False, f"✘ {exercise.name}: expected a function, "
                                  f"got {type(fn).__name__}.", ran=False)
    gen = torch.Generator().manual_seed(exercise.seed)
    worst = 0.0
    for trial in range(exercise.trials):
        args = exercise.make_inputs(gen)
        expected = exercise.reference(*_clone(args))
        try:
            got = fn(*_clone(args))
        except NotImplementedError:
            return CheckResult(False, f"✘ {exercise.name}: not implemented yet: `{name}` raises "
                                      f"NotImplementedError. Replace that line with your code "
                                      f"(stuck? solution(\"{exercise.name}\") shows one).",
                               ran=False)
        except Exception as err:  # the learner's bug, reported in one line
            return CheckResult(False, f"✘ {exercise.name}: `{name}` raised "
                                      f"{type(err).__name__}: {err}{_learner_line(err)} "
                                      f"({_where(trial, exercise.trials, args)}).")
        problem = compare(expected, got, exercise.atol, exercise.rtol)
        if problem:
            return CheckResult(False, f"✘ {exercise.name}: {problem} "
                                      f"({_where(trial, exercise.trials, args)}).")
        worst = max(worst, _max_error(expected, got))
    return CheckResult(True, f"✔ {exercise.name}: passed on {exercise.trials} random inputs "
                             f"(max abs error {worst:.2g}).")


def _max_error(expected, got) -> float:
    if isinstance(expected, (tuple, list)):
        return max((_max_error(e, g) for e, g in zip(expected, got, strict=True)), default=0.0)
    if isinstance(expected, torch.Tensor) and expected.is_floating_point() and expected.numel():
        return float((got.detach() - expected.detach()).abs().max())
    if isinstance(expected, float):
        return abs(float(got) - expected)
    return 0.0


def find_exercise(name) -> Exercise | str:
    """The exercise called ``'<lesson>.<name>'``, or a one-line message saying why not."""
    if not isinstance(name, str) or "." not in name:
        return f"✘ expected an exercise name like 'l01.dense_forward', got {name!r}."
    lesson, short = name.split(".", 1)
    try:
        module = importlib.import_module(f"rnnlab.exercises.{lesson}")
    except ModuleNotFoundError:
        return f"✘ no exercises for lesson {lesson!r} (name was {name!r})."
    table = getattr(module, "EXERCISES", {})
    if short not in table:
        return f"✘ no exercise {short!r} in lesson {lesson}; known: {', '.join(table)}."
    return table[short]


def check(name: str, fn) -> CheckResult:
    """Check a learner's function against exercise ``name``; prints and returns one line."""
    exercise = find_exercise(name)
    if isinstance(exercise, str):
        result = CheckResult(False, exercise, ran=False)
    else:
        result = run_check(exercise, fn)
        if result.ran:
            from rnnlab import progress

            progress.record_check(exercise.name, result.passed)
    print(result.message)
    return result


def solution(name: str) -> None:
    """Show the worked solution of exercise ``name`` (e.g. ``solution("l05.lstm_peephole")``).

    Solutions are kept out of the learner's notebook, in ``rnnlab/solutions.json`` (built from the
    lesson sources). ``RNNLAB_SOLUTIONS=off`` withholds them, e.g. for a class during an exam."""
    from IPython.display import Markdown, display

    if os.environ.get("RNNLAB_SOLUTIONS", "").strip().lower() in ("off", "0", "no", "false"):
        print("Solutions are switched off here (RNNLAB_SOLUTIONS=off): ask your lecturer.")
        return
    exercise = find_exercise(name)
    if isinstance(exercise, str):
        print(exercise)
        return
    try:
        table = json.loads((resources.files("rnnlab") / "solutions.json").read_text("utf-8"))
    except (OSError, ValueError):
        table = {}
    code = table.get(exercise.name)
    if code is None:
        print(f"✘ no worked solution is stored for {exercise.name}.")
        return
    display(Markdown(f"One worked solution of `{exercise.name}` (yours may differ and still "
                     f"pass):\n\n```python\n{code}```"))


def signature_of(name: str) -> str:
    """The reference's signature, for prose ("write a function with this signature")."""
    exercise = find_exercise(name)
    if isinstance(exercise, str):
        return exercise
    return f"{exercise.reference.__name__}{inspect.signature(exercise.reference)}"
