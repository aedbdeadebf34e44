"""The set-up files agree with each other and with the README."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pins(lines):
    out = {}
    for line in lines:
        line = line.split("#")[0].strip().lstrip("-").strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            out[name.lower()] = version
    return out


def requirements():
    return pins((ROOT / "requirements.txt").read_text().splitlines())


def environment_pip():
    text = (ROOT / "environment.yml").read_text()
    block = text.split("- pip:", 1)[1]
    return pins(ln for ln in block.splitlines()
                if ln.strip().startswith("- ") and not ln.strip().startswith("- --"))


def test_environment_yml_takes_the_cpu_build_of_torch():
    """repo2docker and conda install the pip section with pip: without PyTorch's CPU index pip
    takes PyPI's torch, whose Linux wheel requires the CUDA libraries (docs/teaching.md)."""
    text = (ROOT / "environment.yml").read_text()
    block = text.split("- pip:", 1)[1]
    options = [ln.strip()[2:].split() for ln in block.splitlines() if ln.strip().startswith("- --")]
    assert ["--extra-index-url", "https://download.pytorch.org/whl/cpu"] in options
    conda_deps = [ln.strip() for ln in text.split("- pip:", 1)[0].splitlines()
                  if ln.strip().startswith("- ")]
    assert not [d for d in conda_deps if "torch" in d or "cuda" in d], conda_deps


def test_requirements_pin_torch_exactly():
    assert requirements()["torch"] == "2.13.0"


def test_environment_yml_matches_requirements():
    assert environment_pip() == requirements()
    text = (ROOT / "environment.yml").read_text()
    assert re.search(r"^\s*- python=3\.11\s*$", text, re.M)
    assert re.search(r"^\s*- pip\s*$", text, re.M)


def test_pyproject_dependencies_are_pinned_in_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"]:
        assert dep.lower() in requirements(), f"{dep} is not pinned in requirements.txt"


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in first_block.strip().splitlines()]
    assert [c for c in commands if c] == ["make lab", "make test"]
    assert "conda env create -f environment.yml" in text
    for src in sorted((ROOT / "lessons_src").glob("[0-9][0-9]_*.py")):
        assert f"notebooks/{src.stem}.ipynb" in text, f"README lesson map lacks {src.stem}"


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    commands = [ln.strip() for ln in ci.splitlines() if ln.strip() and not ln.startswith("#")]
    assert "make test" in commands


def test_setup_installed_the_courses_jupyterlab_defaults():
    """`make setup` puts jupyter/lab/settings into the environment (widget state is saved, so a
    reopened notebook shows its plots), and the file there is the repository's."""
    import sys

    shipped = ROOT / "jupyter" / "lab" / "settings" / "overrides.d" / "rnnlab.json"
    installed = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.d" / \
        "rnnlab.json"
    assert installed.is_file(), f"{installed} is missing: run make setup"
    assert installed.read_text() == shipped.read_text()
    assert '"saveState": true' in shipped.read_text()
    assert "overrides.d/rnnlab.json" in (ROOT / "postBuild").read_text()
