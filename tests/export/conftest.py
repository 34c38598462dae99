"""One exported copy of the sample model (fp32 and int8, through the CLI) shared by the export tests."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import invoke


@pytest.fixture(scope="session")
def exported_dir(sample_model_dir, tmp_path_factory):
    """The sample model exported by `customer-sentiment export --quantize int8` (about 6 s), and the CLI's result."""
    path = tmp_path_factory.mktemp("export") / "model"
    shutil.copytree(sample_model_dir, path)
    result = invoke("export", path, "--quantize", "int8", "--threads", "2")
    return path, result
