"""The first run's installer (bootstrap.py): `uv sync` of the lock, as `pulumi` runs it."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import bootstrap

ROOT = Path(__file__).resolve().parents[1]


def test_pulumi_uses_uv_in_the_project_venv() -> None:
    """`pulumi` runs `uv sync` into .venv (toolchain: uv): the environment bootstrap.py builds."""
    options = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]
    assert options == {"toolchain": "uv", "virtualenv": ".venv"}
    assert ROOT / options["virtualenv"] == bootstrap.VENV


def test_one_uv_version_installs_and_builds() -> None:
    """The uv bootstrap.py installs is the one pyproject.toml requires of every uv (pulumi's
    too); the build backend is pinned, from the same minor release."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    version = bootstrap.uv_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    [backend] = project["build-system"]["requires"]
    assert re.fullmatch(r"uv_build==\d+\.\d+\.\d+", backend)
    assert backend.split("==")[1].split(".")[:2] == version.split(".")[:2]


def test_make_syncs_exactly_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[tuple[str, ...]] = []

    def record(*command: object, **env: str) -> bool:
        commands.append((*map(str, command), *(f"{k}={v}" for k, v in env.items())))
        return True

    monkeypatch.setattr(bootstrap, "run", record)
    assert bootstrap.with_uv(Path("uv"))
    assert commands[-1] == ("uv", "sync", "--locked", f"UV_PROJECT_ENVIRONMENT={bootstrap.VENV}")


def test_an_unknown_installer_is_refused() -> None:
    result = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, str(ROOT / "bootstrap.py")],
        env={"WEBHOOKS_INSTALLER": "conda", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "WEBHOOKS_INSTALLER='conda': expected uv or pip" in result.stderr


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_without_uv_pip_installs_the_exported_pins(
    installer: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """uv cannot be installed (offline, no wheel, no pip) or is not wanted: pip installs
    constraints.txt, then the project."""
    monkeypatch.setenv("WEBHOOKS_INSTALLER", installer)
    monkeypatch.setattr(bootstrap, "UV_HOME", tmp_path / ".uv")
    commands: list[str] = []

    def record(*command: object, **env: str) -> bool:
        commands.append(" ".join(map(str, command)))
        return "uv==" not in commands[-1]  # pip cannot install uv

    monkeypatch.setattr(bootstrap, "run", record)
    assert bootstrap.main() == 0
    pip_installs = [c for c in commands if " -m pip install" in c]
    if installer == "uv":
        assert "uv==" in pip_installs.pop(0)
        assert "pip instead" in capsys.readouterr().out
    assert pip_installs == [
        f"{bootstrap.VENV}/bin/python -m pip install --progress-bar=off -r {ROOT}/constraints.txt",
        f"{bootstrap.VENV}/bin/python -m pip install --no-deps --editable {ROOT}",
    ]
