"""A function's execution environments: a small pool of worker processes.

Each invocation takes an idle worker (waiting if all are busy, like a function at its concurrency
limit), sends it the event and waits up to the function's timeout. A worker that dies mid-way
(killed, crashed) or exceeds the timeout is a function error for that invocation, and a fresh
worker replaces it, as Lambda replaces a failed execution environment.
"""

import contextlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class WorkerSpec:
    """What the program declared for one function, and how to reach the emulator."""

    name: str
    arn: str
    handler: str
    code_dir: str
    environment: dict[str, str]
    timeout_seconds: float = 3.0
    memory_mb: int = 128


@dataclass
class Invocation:
    """The outcome of one invocation: the handler's result, or a function error."""

    ok: bool
    result: Any = None
    error: dict[str, Any] = field(default_factory=dict)


class _Worker:
    def __init__(self, spec: WorkerSpec, log: IO[bytes], faults_path: str) -> None:
        command = [
            sys.executable,
            "-m",
            "local.worker",
            "--handler",
            spec.handler,
            "--code-dir",
            spec.code_dir,
            "--function-name",
            spec.name,
            "--function-arn",
            spec.arn,
            "--memory",
            str(spec.memory_mb),
        ]
        if faults_path:
            command += ["--faults", faults_path]
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our module
            command,
            cwd=REPO_ROOT,
            env=spec.environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            start_new_session=True,  # Ctrl-C reaches the local stack, which stops the workers
        )
        if self.process.stdin is None or self.process.stdout is None:
            raise RuntimeError(f"worker of {spec.name} started without its stdin and stdout pipes")
        self.stdin: IO[bytes] = self.process.stdin
        self.stdout: IO[bytes] = self.process.stdout
        ready = self.stdout.readline()  # the worker's init phase is over (import done or failed)
        if not ready:
            self.kill()
            code = self.process.returncode
            raise RuntimeError(f"worker of {spec.name} exited during its init phase (code {code})")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()


class FunctionPool:
    """Runs invocations of one function on up to `size` worker processes."""

    def __init__(self, spec: WorkerSpec, size: int, log_path: Path, faults_path: str = ""):
        self.spec = spec
        self.size = size
        self.faults_path = faults_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - one log per run, open while it runs
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._closed = False
        self.failure: str | None = None
        """Why the pool cannot run its function any more (its workers cannot start), else None."""
        self.stats = {
            "invocations": 0,
            "errors": 0,
            "restarts": 0,
            "throttled": 0,
            "poisoned": 0,
            "put_events_failed": 0,
        }
        starters = [threading.Thread(target=self._start_worker) for _ in range(size)]
        for starter in starters:
            starter.start()
        for starter in starters:
            starter.join()

    def _start_worker(self) -> None:
        try:
            worker = _Worker(self.spec, self._log, self.faults_path)
        except (OSError, RuntimeError) as error:
            # An invocation would wait for this worker for ever: the stack must stop instead.
            with self._lock:
                self.failure = f"the worker processes of {self.spec.name} cannot start: {error}"
            return
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            self.stats["restarts"] += 1
            closed = self._closed
        if not closed:
            delay = self._down_until - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._start_worker()

    def invoke(self, event: Any) -> Invocation:
        """Run the handler on the event in an idle worker; errors are returned, never raised."""
        worker = self._idle.get()
        while not worker.alive():  # killed while idle: replace it before use
            self._replace(worker)
            worker = self._idle.get()
        request_id = str(uuid.uuid4())
        deadline = time.time() + self.spec.timeout_seconds
        line = json.dumps(
            {"event": event, "request_id": request_id, "deadline_ms": int(deadline * 1000)}
        )
        answer = None
        try:
            worker.stdin.write(line.encode() + b"\n")
            worker.stdin.flush()
            readable, _, _ = select.select([worker.stdout], [], [], deadline - time.time())
            if readable:
                text = worker.stdout.readline()
                answer = json.loads(text) if text else None
                reason = "Runtime exited" if not text else ""
            else:
                reason = f"Task timed out after {self.spec.timeout_seconds:.2f} seconds"
        except (BrokenPipeError, OSError, ValueError):
            reason = "Runtime exited"
        if answer is None:
            try:
                code = worker.process.wait(timeout=1) if "exited" in reason else None
            except subprocess.TimeoutExpired:
                code = None
            detail = f" with signal {-code}" if code is not None and code < 0 else ""
            self._count(errors=1)
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
            return Invocation(
                ok=False,
                error={
                    "errorType": "Runtime.ExitError" if "exited" in reason else "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: {reason}{detail}",
                },
            )
        self._idle.put(worker)
        faults = answer.get("faults") or {}
        self._count(
            errors=0 if answer["ok"] else 1,
            throttled=faults.get("throttled", 0),
            poisoned=faults.get("poisoned", 0),
            put_events_failed=faults.get("put_events_failed", 0),
        )
        if answer["ok"]:
            return Invocation(ok=True, result=answer.get("result"))
        return Invocation(ok=False, error={k: v for k, v in answer.items() if k != "ok"})

    def _count(
        self, errors: int, throttled: int = 0, poisoned: int = 0, put_events_failed: int = 0
    ) -> None:
        with self._lock:
            self.stats["invocations"] += 1
            self.stats["errors"] += errors
            self.stats["throttled"] += throttled
            self.stats["poisoned"] += poisoned
            self.stats["put_events_failed"] += put_events_failed

    def kill(self, down_for: float = 0.0) -> int:
        """SIGKILL every worker (in-flight invocations fail); replacements start after down_for."""
        self._down_until = time.monotonic() + down_for
        with self._lock:
            workers = list(self._all)
        for worker in workers:
            if worker.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.process.pid, signal.SIGKILL)
        # Idle workers are found dead and replaced here; busy ones by their invocation.
        drained = []
        while True:
            try:
                drained.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in drained:
            threading.Thread(target=self._replace, args=(worker,), daemon=True).start()
        return len(workers)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
        self._log.close()
