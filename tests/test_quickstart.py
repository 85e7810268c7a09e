"""The README's quick start and first hour, run as written: `make local`, then the second
shell's commands, in a copy of the repository (its own `.local/`, the same `.venv`)."""

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
FIRST_HOUR_TIMEOUT_SECONDS = 300


def quickstart_blocks(readme: str, section: str = "Quick start") -> list[list[str]]:
    """The shell blocks of a README section: one list of commands each (comments and blank
    lines dropped)."""
    match = re.search(rf"^## {section}\n(.*?)^## ", readme, re.S | re.M)
    if not match:
        raise AssertionError(f"README.md has no '## {section}' section")
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
    stamp = ROOT / ".venv" / ".installed"
    if not stamp.exists():
        pytest.skip("needs the .venv that `make` builds")
    [rule] = re.findall(r"^\$\(STAMP\): (.*)$", (ROOT / "Makefile").read_text(), re.M)
    inputs = rule.split()
    if any((ROOT / name).stat().st_mtime > stamp.stat().st_mtime for name in inputs):
        # make would sync the shared .venv from the copy: hookgate installed from a temporary path
        pytest.skip("the .venv is older than pyproject.toml/uv.lock: run `make` first")
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


@pytest.fixture(params=["Quick start"])
def local_stack(checkout: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Path, list[str]]]:
    """The section's first block (one command: the server) running; yields the second."""
    server, client = quickstart_blocks((checkout / "README.md").read_text(), request.param)
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


def _shell(
    checkout: Path, commands: list[str], timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    script = "set -eu\n" + "\n".join(commands)
    return subprocess.run(  # noqa: S603 - the README's own commands
        ["/bin/bash", "-c", script],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
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


def test_the_first_hour_is_what_this_test_runs() -> None:
    server, client = quickstart_blocks((ROOT / "README.md").read_text(), "The first hour")
    assert len(server) == 1 and server[0].startswith("make local ARGS=")
    assert client[0] == "source .local/env"
    for command in ("send github", "subscribers tail", "events replay", "dlq replay", "rejections"):
        assert any(f" -m ops {command}" in line for line in client), command


@pytest.mark.parametrize("local_stack", ["The first hour"], indirect=True)
def test_the_readme_first_hour_runs_as_written(local_stack: tuple[Path, list[str]]) -> None:
    checkout, client = local_stack
    done = _shell(checkout, client, timeout=FIRST_HOUR_TIMEOUT_SECONDS)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    out = done.stdout
    assert re.search(r'"source": "webhooks\.github"', out), "tail printed no github event"
    assert "webhooks.stripe" not in out.split("replay")[0], "ci's tail showed a stripe event"
    assert re.search(r"read, \d+ skipped by the filter, published [1-9]\d* event", out), out
    assert "moved 1 message(s) from the DLQ to the queue" in out
    assert '"delivery_id": "poison-1"' in out  # stored once the cause was gone
    assert re.search(r"\tgithub\t401\t", out), "no 401 in `ops rejections`"

    # docs/development.md's curl example, against the same running stack
    guide = (checkout / "docs" / "development.md").read_text()
    example = re.search(r"^or with curl.*?^```sh\n(.*?)^```", guide, re.S | re.M)
    assert example, "docs/development.md has no curl example"
    posted = _shell(checkout, example.group(1).splitlines())
    assert posted.returncode == 0, posted.stderr
    assert '"delivery_id"' in posted.stdout, posted.stdout
