"""Lessons 05 and 06 ask torch's profiler which operators run: its own log lines must not reach
the notebook (they show as red stderr boxes that look like errors)."""

import subprocess
import sys

PROFILE = ("import torch\nimport rnnlab\n"
           "with torch.autograd.profiler.profile() as prof:\n"
           "    (torch.randn(3, 3) @ torch.randn(3, 3)).sum()\n"
           "print(len(prof.function_events) > 0)\n")


def run(code, env_extra=None):
    import os
    env = {k: v for k, v in os.environ.items() if k != "KINETO_LOG_LEVEL"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, env=env)


def test_importing_rnnlab_silences_the_profilers_log():
    out = run(PROFILE)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True"
    assert "profiler_start" not in out.stderr and "SyncActivityProfilerHandler" not in out.stderr


def test_the_log_lines_exist_without_the_setting():
    # the same code without rnnlab's setting still prints them: the test above can fail
    out = run(PROFILE.replace("import rnnlab\n", ""))
    assert out.returncode == 0, out.stderr[-2000:]
    if "profiler_start" not in out.stderr:
        import pytest
        pytest.skip("this torch build's profiler prints no log lines at all")
