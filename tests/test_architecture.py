"""The shape of the package, held against the code: layers that import only downward, files a
reader takes in at one sitting, the device resolved in one place, tests that mirror src/."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

SRC = ROOT / "src" / "customer_sentiment"
MODULES = sorted(SRC.rglob("*.py"))


def test_imports_follow_the_layers_of_pyproject(tmp_path):
    """import-linter's `layers` contract (pyproject.toml): no module imports against the flow."""
    done = subprocess.run([sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
                           "sys.exit(lint_imports_command())", "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0 and "1 kept, 0 broken" in done.stdout, done.stdout[-3000:]


def test_an_import_against_the_flow_breaks_the_contract(tmp_path):
    """The contract can fail: the same layers over a copy of the package with one upward import."""
    package = tmp_path / "customer_sentiment"
    subprocess.run(["cp", "-r", str(SRC), str(package)], check=True)
    (package / "io" / "upward.py").write_text("from ..training import fit_model\n")
    config = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(config[config.index("[tool.importlinter]"):])
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, '.'); from importlinter.cli import "
                           "lint_imports_command; sys.exit(lint_imports_command())", "--no-cache"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 1 and "customer_sentiment.io.upward -> customer_sentiment.training" in done.stdout


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_each_module_reads_in_one_sitting(path):
    lines = len(path.read_text().splitlines())
    assert lines <= (200 if path.name == "pipeline.py" else 300), f"{path.relative_to(SRC)} has {lines} lines"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body[1:] if ast.get_docstring(node) else node.body
            if not body:
                continue
            length = body[-1].end_lineno - body[0].lineno + 1
            assert length <= 50, f"{path.relative_to(SRC)}: {node.name} has {length} lines of body"


def test_the_device_is_resolved_in_exactly_one_function():
    """Only inference/device.py asks which accelerators exist; everything else takes a resolved device."""
    asks = [str(p.relative_to(SRC)) for p in MODULES if ".is_available()" in p.read_text()]
    assert asks == ["inference/device.py"]
    definitions = [p for p in MODULES if "def resolve_device(" in p.read_text()]
    assert [str(p.relative_to(SRC)) for p in definitions] == ["inference/device.py"]


def test_tests_mirror_the_package():
    packages = {p.parent.relative_to(SRC) for p in MODULES if p.name == "__init__.py"} - {Path(".")}
    assert packages and all((ROOT / "tests" / package).is_dir() for package in packages), packages
