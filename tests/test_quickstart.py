"""The README's quick start, run as written: `make local`, then `ops send` and `ops events list`
in a second shell, in a copy of the repository (its own `.local/`, the same `.venv`)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_SECONDS = 90
STORE_TIMEOUT_SECONDS = 60


def quickstart_blocks(readme: str) -> list[list[str]]:
    """The shell blocks of the README's "Quick start" section: one list of commands each
    (comments and blank lines dropped)."""
    match = re.search(r"^## Quick start\n(.*?)^## ", readme, re.S | re.M)
    if not match:
        raise AssertionError("README.md has no '## Quick start' section")
    blocks = re.findall(r"^```sh\n(.*?)^```", match.group(1), re.S | re.M)
    commands = []
    for block in blocks:
        lines = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
        commands.append([line for line in lines if line and not line.startswith("#")])
    return commands


def test_the_quickstart_is_what_this_test_runs() -> None:
    server, client = quickstart_blocks((ROOT / "README.md").read_text())
    assert server == ["make local"]
    assert client[0] == "source .local/env"
    assert any(" -m ops send " in c for c in client)
    assert client[-1].endswith("-m ops events list")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The tracked files (mtimes kept, so make sees .venv as up to date) and the real .venv."""
    if not (ROOT / ".venv" / ".installed").exists():
        pytest.skip("needs the .venv that `make` builds")
    files = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    copy = tmp_path / "checkout"
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


@pytest.fixture
def local_stack(checkout: Path) -> Iterator[tuple[Path, list[str]]]:
    server, client = quickstart_blocks((checkout / "README.md").read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "WEBHOOKS_"))}
    log = checkout / "make-local.log"
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 - the README's own command
            ["/bin/sh", "-c", server[0]],
            cwd=checkout,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "is up:" not in log.read_text():
            assert process.poll() is None, f"`{server[0]}` exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"not up in time:\n{log.read_text()}"
            time.sleep(0.2)
        yield checkout, client
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the README says
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _shell(checkout: Path, commands: list[str]) -> subprocess.CompletedProcess[str]:
    script = "set -eu\n" + "\n".join(commands)
    return subprocess.run(  # noqa: S603 - the README's own commands
        ["/bin/bash", "-c", script], cwd=checkout, capture_output=True, text=True, check=False
    )


def test_the_readme_quickstart_stores_the_sent_event(local_stack: tuple[Path, list[str]]) -> None:
    checkout, client = local_stack
    *setup, listing = client
    sent = _shell(checkout, setup)
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("202 "), sent.stdout
    delivery_id = sent.stderr.rsplit("delivery id: ", 1)[1].strip()
    # The processor stores it asynchronously; a person typing the next command is slower.
    deadline = time.monotonic() + STORE_TIMEOUT_SECONDS
    while True:
        listed = _shell(checkout, [client[0], listing])
        if delivery_id in listed.stdout:
            break
        assert time.monotonic() < deadline, f"{delivery_id} not listed:\n{listed}"
        time.sleep(0.5)
    assert listed.returncode == 0, listed.stderr
