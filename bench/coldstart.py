"""Item 4: cold start, as the import time each handler module adds beyond `import boto3`.

Each figure comes from a fresh interpreter (nothing cached in `sys.modules`) that imports boto3
first, as every handler does, then times the one import in question with `perf_counter_ns`. The
handler modules run their module-level setup (configuration parsing) under the contract's
environment. The ingest function imports the scheme modules of its providers only, so it is timed
twice: with one provider per scheme (the environment of every other bench figure) and with one
provider. The Powertools row imports what a typical handler would use instead of our
hand-written logging, metrics and batch code: `Logger`, `Metrics` and `utilities.batch`.
Candidates run in turn in each round, so background load hits them alike.

Each is timed twice: with the handlers' bytecode cached, and with the handlers compiled from
source. The second is what Lambda does with our package, which holds only `.py` files
(`hookgate/components/code.py`) in a read-only directory: every cold start compiles every handler
module
it imports. Installed libraries keep their bytecode in both (pip writes it at install), so the
Powertools row is the same measurement twice.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from webhooks import providers

from . import HANDLERS, fakes
from .handlers import ENVIRONMENT, SCHEMES
from .stats import summarize

ONE_PROVIDER = {
    "PROVIDERS": providers.render(
        {SCHEMES[0]: providers.build(SCHEMES[0], SCHEMES[0], fakes.secret_arn(SCHEMES[0]), {})}
    )
}
"""The ingest function's `PROVIDERS` with one provider: it imports that one scheme's module."""

CANDIDATES: dict[str, tuple[str, dict[str, str]]] = {
    "ingest": ("import ingest", {}),
    "ingest_one_provider": ("import ingest", ONE_PROVIDER),
    "process": ("import process", {}),
    "publish": ("import publish", {}),
    "powertools": (
        "from aws_lambda_powertools import Logger, Metrics\n"
        "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, "
        "process_partial_response",
        {},
    ),
}
"""Name → (the import timed, variables set over `ENVIRONMENT`, which has one provider per
scheme)."""
_PROBE = """
import time, boto3
start = time.perf_counter_ns()
{statement}
print(time.perf_counter_ns() - start)
"""


def import_ms(
    statement: str, bytecode: bool = True, environment: dict[str, str] | None = None
) -> float:
    """Milliseconds `statement` takes in a fresh interpreter that has imported boto3: with the
    handlers' bytecode cached, or (`bytecode=False`) with the handlers compiled from source, as
    Lambda runs our package. Installed libraries (boto3, Powertools) keep their bytecode either
    way: pip writes it when it installs them, into a package or a layer alike."""
    env = os.environ | ENVIRONMENT | (environment or {}) | {"PYTHONPATH": str(HANDLERS)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if bytecode:
        return _probe(statement, env)
    with tempfile.TemporaryDirectory() as package:
        for source in HANDLERS.rglob("*.py"):  # what hookgate/components/code.py packages
            copy = Path(package) / source.relative_to(HANDLERS)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(source.read_bytes())
        return _probe(statement, env | {"PYTHONPATH": package, "PYTHONDONTWRITEBYTECODE": "1"})


def _probe(statement: str, env: dict[str, str]) -> float:
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own probe
        [sys.executable, "-c", _PROBE.format(statement=statement)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(done.stdout.strip().splitlines()[-1]) / 1e6


def run(repeat: int, bytecode: bool = True) -> dict[str, dict[str, float]]:
    """Median and spread of each candidate's import time, in milliseconds."""
    for statement, environment in CANDIDATES.values():
        import_ms(statement, True, environment)  # warm the file cache, write the bytecode
    samples: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    for _ in range(repeat):
        for name, (statement, environment) in CANDIDATES.items():
            samples[name].append(import_ms(statement, bytecode, environment))
    return {name: summarize(values).as_dict() for name, values in samples.items()}


# ---- the first response, as a sender waits for it -------------------------------------------

_FIRST = """
import json, sys, time
event = json.loads(sys.stdin.read())
t0 = time.perf_counter_ns()
import boto3
t1 = time.perf_counter_ns()
# Not timed: AWS answered in memory (bench.fakes), hooked into the default session before any
# client exists (the Powertools handlers create theirs at import).
from bench import fakes
boto3.setup_default_session(region_name=fakes.REGION)
recorder = fakes.Recorder()
boto3.DEFAULT_SESSION.events.register(
    "before-send", lambda request, **_: fakes._answer(recorder, request)
)
t2a = time.perf_counter_ns()
import {module}
t2 = time.perf_counter_ns()
class Context:
    function_name = "bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"
    def get_remaining_time_in_millis(self):
        return 30000
t3 = time.perf_counter_ns()
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    answer = {module}.handler(event, Context())
t4 = time.perf_counter_ns()
print(json.dumps({{"boto3_ms": (t1 - t0) / 1e6, "module_ms": (t2 - t2a) / 1e6,
                  "first_call_ms": (t4 - t3) / 1e6, "answer": str(answer)[:60]}}))
"""


def first_response_ms(module: str, event: dict) -> dict[str, float]:
    """Import boto3, import the handler, first invocation (clients created, AWS answered in
    memory): milliseconds of each in a fresh interpreter, and their sum."""
    import json

    from . import HANDLERS as handlers_dir

    root = Path(__file__).resolve().parents[1]  # the repository: `bench` and its Powertools
    path = os.pathsep.join(map(str, (handlers_dir, root, root / "bench" / "powertools")))
    env = os.environ | ENVIRONMENT | {"PYTHONPATH": path}
    env |= {"AWS_ACCESS_KEY_ID": "AKIDBENCHBENCHBENCH0", "AWS_SECRET_ACCESS_KEY": "bench"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own probe
        [sys.executable, "-c", _FIRST.format(module=module)],
        env=env,
        input=json.dumps(event),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    answer = figures.pop("answer")
    if "202" not in answer and "batchItemFailures': []" not in answer:
        raise RuntimeError(f"{module}: the first response was not a success: {answer}")
    figures["total_ms"] = sum(figures.values())
    return figures


FIRST_RESPONSE = {
    "ingest": "ingest",
    "process": "process",
    "powertools ingest": "pt_ingest",
    "powertools process": "pt_process",
}
"""Label → module: ours and the Powertools equivalents (bench/powertools/)."""


def run_first_response(events: dict[str, dict], repeat: int) -> dict[str, dict[str, object]]:
    """Median of each part of each handler's first response over `repeat` fresh interpreters;
    `events` holds the `ingest` and `process` events, which the Powertools handlers get too."""
    out: dict[str, dict[str, object]] = {}
    for label, module in FIRST_RESPONSE.items():
        event = events[label.rsplit(" ", 1)[-1]]
        first_response_ms(module, event)  # bytecode and file cache, as a deployed package
        runs = [first_response_ms(module, event) for _ in range(repeat)]
        out[label] = {
            key: summarize([r[key] for r in runs]).as_dict()
            for key in ("boto3_ms", "module_ms", "first_call_ms", "total_ms")
        }
    return out
