"""Create .venv and install the pinned dependencies: with uv when it can be had, else with pip.

    python3 bootstrap.py            # what `make` runs before every target when a pin changed
    WEBHOOKS_INSTALLER=pip python3 bootstrap.py   # force the pip path

Needs only Python 3.11+. uv (pinned in requirements-bootstrap.txt) is installed from PyPI into
.venv/.uv with the interpreter's own pip; the project's pins are the same either way
(requirements-dev.txt, which includes requirements.txt and constraints.txt). Every step prints
what it does and how long it took, so a first run is never silent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
UV_HOME = VENV / ".uv"
REQUIREMENTS = ROOT / "requirements-dev.txt"
BOOTSTRAP_PINS = ROOT / "requirements-bootstrap.txt"
START = time.monotonic()


def say(message: str) -> None:
    print(f"[bootstrap {time.monotonic() - START:5.1f}s] {message}", flush=True)


def run(*command: str | Path, quiet: bool = False) -> bool:
    """Run a command, its output shown unless `quiet`; True when it succeeded."""
    result = subprocess.run(  # noqa: S603 - our own commands, no shell
        [str(part) for part in command],
        env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"},
        stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        check=False,
    )
    return result.returncode == 0


def uv_pin() -> str:
    pins = [
        line.strip()
        for line in BOOTSTRAP_PINS.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    if len(pins) != 1 or not pins[0].startswith("uv=="):
        sys.exit(f"{BOOTSTRAP_PINS.name}: expected one line `uv==<version>`, got {pins}")
    return pins[0]


def install_uv() -> Path | None:
    """uv in .venv/.uv (its own folder: `uv sync` never removes it), or None with the reason."""
    uv = UV_HOME / "bin" / "uv"
    pin = uv_pin()
    if uv.exists() and run(uv, "--version", quiet=True):
        return uv
    say(f"installing {pin} into {UV_HOME.relative_to(ROOT)} with pip")
    UV_HOME.mkdir(parents=True, exist_ok=True)
    ok = run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-warn-script-location",
        "--upgrade",
        "--target",
        UV_HOME,
        pin,
    )
    if ok and uv.exists() and run(uv, "--version", quiet=True):
        return uv
    say(
        f"could not install {pin} (no pip for {sys.executable}, no wheel for this platform, or"
        " PyPI unreachable): falling back to pip, which is slower (about 80 s on 2 cores)"
    )
    shutil.rmtree(UV_HOME, ignore_errors=True)
    return None


def with_uv(uv: Path) -> bool:
    say(f"creating {VENV.name} with uv")
    if not run(uv, "venv", "--quiet", "--allow-existing", "--python", sys.executable, VENV):
        return False
    say(f"installing {REQUIREMENTS.name} (pinned) with uv")
    return run(uv, "pip", "install", "--python", VENV / "bin" / "python", "-r", REQUIREMENTS)


def with_pip() -> bool:
    python = VENV / "bin" / "python"
    if not python.exists():
        say(f"creating {VENV.name} with venv")
        if not run(sys.executable, "-m", "venv", VENV):
            return False
    elif not run(python, "-m", "pip", "--version", quiet=True):
        # A venv made by uv has no pip of its own.
        say(f"adding pip to {VENV.name}")
        if not run(python, "-m", "ensurepip", "--upgrade", quiet=True):
            return False
    say(f"installing {REQUIREMENTS.name} (pinned) with pip; it lists each package it collects")
    return run(
        python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        "-r",
        REQUIREMENTS,
    )


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs under any python3, before .venv
        print("Python 3.11+ is required (set PYTHON=python3.11 for make)", file=sys.stderr)
        return 1
    installer = os.environ.get("WEBHOOKS_INSTALLER", "uv")
    if installer not in ("uv", "pip"):
        print(f"WEBHOOKS_INSTALLER={installer!r}: expected uv or pip", file=sys.stderr)
        return 2
    uv = install_uv() if installer == "uv" else None
    ok = with_uv(uv) if uv is not None else with_pip()
    if not ok and uv is not None:
        # e.g. an index that pip is configured for (pip.conf) and uv is not
        say("uv could not install the pins (see above): retrying with pip")
        uv = None
        ok = with_pip()
    if not ok:
        say("installing the pinned dependencies failed (see above)")
        return 1
    say(f"ready: {VENV.name} ({'uv' if uv else 'pip'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
