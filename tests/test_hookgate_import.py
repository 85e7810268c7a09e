"""Importing hookgate beside a program's own `webhooks` module stops with an error naming both,
instead of mixing that module with the functions' package (hookgate/__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_import(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import hookgate.components.settings"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_programs_own_webhooks_package_is_named_not_mixed_in(tmp_path: Path) -> None:
    (tmp_path / "webhooks").mkdir()
    (tmp_path / "webhooks" / "__init__.py").write_text("")
    result = run_import(tmp_path)
    assert result.returncode == 1
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("ImportError: hookgate's functions import their package")
    assert str(tmp_path / "webhooks" / "__init__.py") in message


def test_without_one_the_import_works(tmp_path: Path) -> None:
    result = run_import(tmp_path)
    assert result.returncode == 0, result.stderr
