"""pyproject.toml + uv.lock are the single source of dependencies: what is generated from them
(`make lock`) is what they give now."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hookgate.components import packages

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _uv() -> str:
    """The uv bootstrap.py installs (or one on PATH); the pip path has none."""
    uv = Path(sys.prefix) / ".uv" / "bin" / "uv"
    found = str(uv) if uv.exists() else shutil.which("uv")
    if found is None:
        pytest.skip("no uv (.venv built with WEBHOOKS_INSTALLER=pip)")
    return found


def _make_lock_command(program: str) -> list[str]:
    """The Makefile's `lock` line that runs `program` (uv's subcommand, or a module)."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nlock:", 1)[1].split("\n\n", 1)[0]
    [line] = [line.strip() for line in recipe.splitlines() if f" {program} " in line]
    return line.split()[1:]


def test_every_dependency_is_pinned() -> None:
    declared = [*PROJECT["project"]["dependencies"], *PROJECT["dependency-groups"]["dev"]]
    assert [d for d in declared if not re.fullmatch(r"[\w.\-\[\]]+==[\w.]+", d)] == []
    # what an installed hookgate needs at run time: the Pulumi program's own imports
    names = [d.split("==")[0] for d in PROJECT["project"]["dependencies"]]
    assert names == ["pulumi", "pulumi-aws", "boto3"]


def test_the_lock_is_current() -> None:
    """`uv sync` (make, and pulumi's toolchain: uv) installs the lock as it is."""
    done = subprocess.run(  # noqa: S603 - the pinned uv
        [_uv(), "lock", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_constraints_txt_is_the_exported_lock(tmp_path: Path) -> None:
    """constraints.txt (the pip path, the policy pack's `-c`) is `make lock`'s `uv export`."""
    command = _make_lock_command("export")
    assert command[-2:] == ["--output-file", "constraints.txt"]
    exported = tmp_path / "constraints.txt"
    done = subprocess.run(  # noqa: S603 - the pinned uv
        [_uv(), *command[:-1], str(exported), "--no-header"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    _, generated_by, pins = (ROOT / "constraints.txt").read_text().split("\n", 2)
    assert generated_by == "#    uv " + " ".join(command)
    assert pins == exported.read_text(), "constraints.txt drifted from uv.lock: run `make lock`"


def test_the_packaged_lock_data_is_uv_locks() -> None:
    """function_packages.json (shipped in the wheel) holds uv.lock's entries for the packages the
    schemes require."""
    assert _make_lock_command("-m")[-2:] == ["hookgate.components.packages", "uv.lock"]
    expected = packages.render_lock_data(ROOT / "uv.lock")
    assert packages.LOCK_FILE.read_text() == expected, "stale: run `make lock`"
    assert [w.name for w in packages.locked_wheels(packages.scheme_requirements())] == [
        "cffi",
        "cryptography",
        "pycparser",
    ]
