"""The first run's installer (bootstrap.py) and the pins `pulumi` installs with (toolchain: uv)."""

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


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> list[str]:
    return [
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    ]


def _versions(pins: list[str]) -> dict[str, str]:
    return {_norm(name): version for name, version in (pin.split("==") for pin in pins)}


def test_pulumi_uses_uv_in_the_project_venv() -> None:
    options = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["runtime"]["options"]
    assert options == {"toolchain": "uv", "virtualenv": ".venv"}


def test_pyproject_declares_the_requirements_pins() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["dependencies"] == _pins(ROOT / "requirements.txt")
    assert project["dependency-groups"]["dev"] == _pins(ROOT / "requirements-dev.txt")


def test_uv_lock_holds_the_constraints_versions() -> None:
    """`uv sync` (pulumi with toolchain: uv) installs what `make` installs, version for version."""
    constraints = _versions(_pins(ROOT / "constraints.txt"))
    locked: dict[str, set[str]] = {}
    for package in tomllib.loads((ROOT / "uv.lock").read_text())["package"]:
        if package.get("source", {}).get("virtual"):
            continue  # the project itself
        locked.setdefault(_norm(package["name"]), set()).add(package["version"])
    assert {name: locked.get(name) for name in constraints} == {
        name: {version} for name, version in constraints.items()
    }
    # Only Windows-only extras may be locked without a pin (they never install here).
    assert set(locked) - set(constraints) <= {"colorama", "pywin32"}


def test_uv_itself_is_pinned() -> None:
    assert re.fullmatch(r"uv==\d+\.\d+\.\d+", bootstrap.uv_pin())


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


def test_without_uv_it_says_so_and_falls_back_to_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bootstrap, "UV_HOME", tmp_path / ".uv")
    monkeypatch.setattr(bootstrap, "ROOT", tmp_path)
    calls: list[tuple[str, ...]] = []

    def failing_run(*command: object, quiet: bool = False) -> bool:
        calls.append(tuple(map(str, command)))
        return False  # pip cannot install uv (offline, no wheel, no pip)

    monkeypatch.setattr(bootstrap, "run", failing_run)
    assert bootstrap.install_uv() is None
    assert "-m pip install" in " ".join(calls[0])
    assert "falling back to pip" in capsys.readouterr().out
    assert not (tmp_path / ".uv").exists()


def test_a_malformed_uv_pin_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pins = tmp_path / "requirements-bootstrap.txt"
    pins.write_text("uv>=0.13\n")
    monkeypatch.setattr(bootstrap, "BOOTSTRAP_PINS", pins)
    with pytest.raises(SystemExit, match="expected one line `uv==<version>`"):
        bootstrap.uv_pin()


def test_when_uv_fails_to_install_the_pins_pip_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEBHOOKS_INSTALLER", "uv")
    monkeypatch.setattr(sys, "argv", ["bootstrap.py"])
    monkeypatch.setattr(bootstrap, "install_uv", lambda: Path("uv"))
    monkeypatch.setattr(bootstrap, "with_uv", lambda uv: False)
    used: list[str] = []

    def with_pip() -> bool:
        used.append("pip")
        return True

    monkeypatch.setattr(bootstrap, "with_pip", with_pip)
    assert bootstrap.main() == 0
    assert used == ["pip"]
    out = capsys.readouterr().out
    assert "retrying with pip" in out and "ready: .venv (pip)" in out
