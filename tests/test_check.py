"""The exercise checker reports one line for every kind of wrong code, and passes right code."""

import torch

from rnnlab.check import Exercise, check, find_exercise, run_check


def reference(x, W, b):
    return torch.tanh(x @ W.T + b)


def make_inputs(gen):
    return (torch.randn(4, 3, generator=gen, dtype=torch.float64),
            torch.randn(2, 3, generator=gen, dtype=torch.float64),
            torch.randn(2, generator=gen, dtype=torch.float64))


EX = Exercise("t.dense", reference=reference, make_inputs=make_inputs)


def one_line(result):
    assert "\n" not in result.message
    return result.message


def test_right_code_passes():
    r = run_check(EX, lambda x, W, b: torch.tanh(torch.addmm(b, x, W.T)))
    assert r.passed and one_line(r).startswith("✔ t.dense: passed on 5 random inputs")


def test_not_implemented():
    def dense(x, W, b):
        raise NotImplementedError()
    r = run_check(EX, dense)
    assert not r.passed
    assert "not implemented yet: `dense` raises NotImplementedError" in one_line(r)


def test_wrong_shape_says_expected_and_got():
    r = run_check(EX, lambda x, W, b: torch.tanh(x @ W.T + b).T)
    assert "wrong shape for output: expected (4, 2), got (2, 4)" in one_line(r)


def test_wrong_dtype():
    r = run_check(EX, lambda x, W, b: torch.tanh(x @ W.T + b).float())
    assert "wrong dtype for output: expected torch.float64, got torch.float32" in one_line(r)


def test_nan_is_reported_with_its_index():
    def dense(x, W, b):
        y = torch.tanh(x @ W.T + b)
        y[1, 0] = float("nan")
        return y
    assert "output contains NaN (first at index (1, 0)" in one_line(run_check(EX, dense))


def test_wrong_values_report_max_error_and_where():
    def dense(x, W, b):
        y = torch.tanh(x @ W.T + b)
        y[2, 1] += 0.5
        return y
    msg = one_line(run_check(EX, dense))
    assert "wrong values in output: max abs error 0.5 at index (2, 1)" in msg
    assert "on random input 1 of 5" in msg


def test_exception_names_type_message_and_line():
    def dense(x, W, b):
        return x @ W + b          # forgot the transpose: (4,3) @ (2,3) fails
    msg = one_line(run_check(EX, dense))
    assert "`dense` raised RuntimeError" in msg
    assert "at `return x @ W + b" in msg


def test_wrong_return_type_and_not_callable():
    assert "expected a torch.Tensor, got list" in one_line(
        run_check(EX, lambda x, W, b: [1.0, 2.0]))
    assert "expected a function, got int" in one_line(run_check(EX, 3))


def test_learner_cannot_corrupt_the_reference_inputs():
    def dense(x, W, b):
        W.zero_()                 # mutates its argument
        return torch.tanh(x @ W.T + b)
    assert "wrong values" in one_line(run_check(EX, dense))


def test_check_prints_and_unknown_names(capsys):
    result = check("l01.dense_forward", lambda x, W, b: torch.tanh(x @ W.T + b))
    assert result.passed
    assert capsys.readouterr().out.startswith("✔ l01.dense_forward: passed")
    assert isinstance(find_exercise("l01.nope"), str)
    assert not check("l99.x", print)
    assert not check(42, print)
    assert "expected an exercise name" in capsys.readouterr().out


def test_every_registered_exercise_passes_its_own_reference():
    import pkgutil

    import rnnlab.exercises as pkg
    names = [m.name for m in pkgutil.iter_modules(pkg.__path__)]
    assert "l01" in names
    for name in names:
        module = __import__(f"rnnlab.exercises.{name}", fromlist=["EXERCISES"])
        for short, ex in module.EXERCISES.items():
            assert ex.name == f"{name}.{short}"
            assert run_check(ex, ex.reference).passed, ex.name


def test_float32_rounding_gets_a_precision_hint():
    def dense(x, W, b):      # computed in float32, handed back as float64
        return torch.tanh(x.float() @ W.float().T + b.float()).double()
    strict = Exercise("t.dense", reference=reference, make_inputs=make_inputs, atol=1e-12,
                      rtol=1e-10)
    line = one_line(run_check(strict, dense))
    assert "wrong values in output" in line and "float32 rounding" in line
    assert "dtype=torch.float64" in line


def test_a_real_error_gets_no_precision_hint():
    line = one_line(run_check(EX, lambda x, W, b: torch.tanh(x @ W.T + b) + 1e-3))
    assert "wrong values" in line and "float32" not in line


def test_not_implemented_points_to_the_solution():
    def dense(x, W, b):
        raise NotImplementedError()
    assert 'solution("t.dense")' in one_line(run_check(EX, dense))
