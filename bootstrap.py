"""Build .venv from uv.lock the way `pulumi` does (`toolchain: uv`): `uv sync`, with the uv
version pyproject.toml requires, installed first with the interpreter's own pip.

    python3 bootstrap.py                          # make runs it when pyproject.toml/uv.lock change
    WEBHOOKS_INSTALLER=pip python3 bootstrap.py   # pip instead, from constraints.txt (uv export)

Needs only Python 3.11+. Without uv (no pip, no wheel for this platform, PyPI unreachable) the
same pins are installed with pip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
UV_HOME = VENV / ".uv"  # its own folder: `uv sync` never removes it
START = time.monotonic()


def say(message: str) -> None:
    print(f"[bootstrap {time.monotonic() - START:5.1f}s] {message}", flush=True)


def run(*command: str | Path, **env: str) -> bool:
    """Run a command, its output shown; True when it succeeded."""
    environment = {**os.environ, "PIP_ROOT_USER_ACTION": "ignore", **env}
    return subprocess.run([str(p) for p in command], env=environment, check=False).returncode == 0  # noqa: S603 - our own commands, no shell


def uv_version() -> str:
    """The uv version pyproject.toml requires (`[tool.uv] required-version = "==X.Y.Z"`)."""
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"][
        "required-version"
    ]
    return str(required).removeprefix("==")


def install_uv() -> Path | None:
    """The pinned uv in .venv/.uv, installed with pip when missing; None when it cannot be."""
    uv = UV_HOME / "bin" / "uv"
    pin = f"uv=={uv_version()}"
    if not uv.exists():
        say(f"installing {pin} into {UV_HOME} with pip")
        run(sys.executable, "-m", "pip", "install", "--quiet", "--target", UV_HOME, pin)
    return uv if uv.exists() else None


def with_uv(uv: Path) -> bool:
    say("uv sync --locked (as `pulumi` runs it)")
    return run(uv, "venv", "--quiet", "--allow-existing", "--python", sys.executable, VENV) and run(
        uv, "sync", "--locked", UV_PROJECT_ENVIRONMENT=str(VENV)
    )


def with_pip() -> bool:
    python = VENV / "bin" / "python"
    say("pip install -r constraints.txt, then the project itself (editable)")
    return (
        run(sys.executable, "-m", "venv", VENV)  # adds pip to a venv uv made, too
        and run(
            python, "-m", "pip", "install", "--progress-bar=off", "-r", ROOT / "constraints.txt"
        )
        and run(python, "-m", "pip", "install", "--no-deps", "--editable", ROOT)
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
    if uv is not None and with_uv(uv):
        say("ready: .venv (uv)")
        return 0
    if installer == "uv":
        say("uv could not install the pins (see above): pip instead, slower (about 80 s)")
    if with_pip():
        say("ready: .venv (pip)")
        return 0
    say("installing the pinned dependencies failed (see above)")
    return 1


if __name__ == "__main__":
    sys.exit(main())
