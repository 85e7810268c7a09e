"""The local stack fails loudly: when its emulator dies, it stops and exits non-zero naming it."""

import os
import signal
import time

import local.__main__ as local_main
from local import LocalStack


def test_a_dead_emulator_is_named_by_the_running_stack(tmp_path) -> None:
    with LocalStack.start(stack="dev", state_dir=tmp_path) as stack:
        assert stack.failure() is None
        pid = stack.moto.pid
        os.kill(pid, signal.SIGKILL)  # the emulator this test's stack started dies for good
        deadline = time.monotonic() + 10
        while stack.failure() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert stack.failure() == (
            f"the AWS emulator (moto server, pid {pid}) exited with code {-signal.SIGKILL}"
        )


class _DyingStack:
    """Healthy for two checks, then its emulator is gone."""

    def __init__(self) -> None:
        self.checks = 0
        self.stopped = False

    def failure(self) -> str | None:
        self.checks += 1
        return (
            "the AWS emulator (moto server, pid 4242) exited with code 1"
            if self.checks > 2
            else None
        )

    def stop(self) -> None:
        self.stopped = True

    def kill_processor(self) -> int:
        return 0


def test_main_stops_everything_and_exits_1_naming_the_process(monkeypatch, capsys) -> None:
    dying = _DyingStack()
    monkeypatch.setattr(local_main.LocalStack, "start", staticmethod(lambda **_: dying))
    monkeypatch.setattr(local_main, "banner", lambda stack: "banner")
    monkeypatch.setattr(local_main.signal, "signal", lambda *_: None)  # keep pytest's handlers
    assert local_main.main(["--state-dir", "unused"]) == 1
    assert dying.stopped
    err = capsys.readouterr().err
    assert "error: the AWS emulator (moto server, pid 4242) exited with code 1" in err
