"""Item 4: cold start, as the import time each handler module adds beyond `import boto3`.

Each figure comes from a fresh interpreter (nothing cached in `sys.modules`) that imports boto3
first, as every handler does, then times the one import in question with `perf_counter_ns`. The
handler modules run their module-level setup (configuration parsing) under the contract's
environment. The Powertools row imports what a typical handler would use instead of our
hand-written logging, metrics and batch code: `Logger`, `Metrics` and `utilities.batch`.
Candidates run in turn in each round, so background load hits them alike.
"""

import os
import subprocess
import sys

from . import HANDLERS
from .handlers import ENVIRONMENT
from .stats import summarize

CANDIDATES = {
    "ingest": "import ingest",
    "process": "import process",
    "powertools": (
        "from aws_lambda_powertools import Logger, Metrics\n"
        "from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, "
        "process_partial_response"
    ),
}
_PROBE = """
import time, boto3
start = time.perf_counter_ns()
{statement}
print(time.perf_counter_ns() - start)
"""


def import_ms(statement: str) -> float:
    """Milliseconds `statement` takes in a fresh interpreter that has imported boto3."""
    env = os.environ | ENVIRONMENT | {"PYTHONPATH": str(HANDLERS)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # cached bytecode, as in a deployed package
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own probe
        [sys.executable, "-c", _PROBE.format(statement=statement)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(done.stdout.strip().splitlines()[-1]) / 1e6


def run(repeat: int) -> dict[str, dict[str, float]]:
    """Median and spread of each candidate's import time, in milliseconds."""
    for statement in CANDIDATES.values():
        import_ms(statement)  # warm the OS file cache and write bytecode, as a deployed zip has
    samples: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    for _ in range(repeat):
        for name, statement in CANDIDATES.items():
            samples[name].append(import_ms(statement))
    return {name: summarize(values).as_dict() for name, values in samples.items()}
