"""One local stack per state directory: a second is refused by PID, a killed one's lock is
taken over."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from local.errors import LocalStackError
from local.stack import LocalStack

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from local.stack import LocalStack
    stack = LocalStack()
    stack.state_dir = Path(sys.argv[1])
    stack._lock_state_dir()
    print("locked", flush=True)
    time.sleep(120)
    """
)


def _holder(state: Path) -> subprocess.Popen[str]:
    """Another process that owns `state` as a running stack does."""
    process = subprocess.Popen(  # noqa: S603 - our interpreter
        [sys.executable, "-c", HOLDER, str(state)],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "locked\n"
    return process


def _owner(state: Path) -> LocalStack:
    stack = LocalStack()
    stack.state_dir = state
    stack._lock_state_dir()
    return stack


def test_a_second_stack_on_the_same_directory_is_refused_naming_the_first(tmp_path) -> None:
    holder = _holder(tmp_path)
    try:
        with pytest.raises(LocalStackError) as error:
            LocalStack.start(state_dir=tmp_path)
        assert f"another local stack (PID {holder.pid}) is running on {tmp_path}" in str(
            error.value
        )
        assert (tmp_path / "stack.lock").read_text() == f"{holder.pid}\n"  # left alone
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_stacks_lock_is_detected_and_taken_over(tmp_path) -> None:
    holder = _holder(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    stack = _owner(tmp_path)
    try:
        assert stack.took_over == str(holder.pid)
        assert (tmp_path / "stack.lock").read_text() == f"{os.getpid()}\n"
    finally:
        stack.stop()
    assert (tmp_path / "stack.lock").read_text() == ""  # a clean stop: nothing to take over
    again = _owner(tmp_path)
    assert again.took_over is None
    again.stop()


def test_two_stacks_in_one_process_cannot_share_a_directory(tmp_path) -> None:
    first = _owner(tmp_path)
    try:
        with pytest.raises(LocalStackError, match=f"PID {os.getpid()}"):
            _owner(tmp_path)
    finally:
        first.stop()
    _owner(tmp_path).stop()  # free again once the first stopped
