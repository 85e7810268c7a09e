"""Run the real Pulumi program under the mock runtime, realizing it in moto.

Runs in its own process (`python -m local.declare REQUEST.json ANSWER.json`) so the Pulumi
runtime's global state and the program's imported modules never leak into the caller (a test
session may run the program under its own mocks too). The request names the program directory,
stack, config, the moto endpoint and the local API endpoint; the answer holds the declaration
(functions, mappings, routes, queues, the resource list) and the resolved stack outputs.
"""

import asyncio
import dataclasses
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any


def declare(request: dict[str, Any]) -> dict[str, Any]:
    """Run the program once and return {"declaration": ..., "outputs": ...}."""
    from local.mockrun import run_program
    from local.realize import MotoMocks, plain

    mocks = MotoMocks(
        endpoint_url=request["moto_endpoint"],
        region=request["region"],
        api_endpoint=request["api_endpoint"],
    )
    recorded = run_program(
        Path(request["program_dir"]).resolve(),
        project=request["project"],
        stack=request["stack"],
        config=request["config"],
        secret_keys=request["secret_keys"],
        aws=mocks,
    )
    return {
        "declaration": dataclasses.asdict(mocks.declaration),
        "outputs": plain(recorded.outputs),
    }


def main() -> None:
    request_path, answer_path = sys.argv[1], sys.argv[2]
    request = json.loads(Path(request_path).read_text())
    try:
        answer = declare(request)
    except Exception as error:  # reported to the parent, which fails loudly with it
        answer = {
            "error": f"{type(error).__name__}: {error}",
            "traceback": traceback.format_exc(),
        }
    Path(answer_path).write_text(json.dumps(answer, default=_json_default))
    # The Pulumi runtime leaves executor threads behind; do not wait for them.
    asyncio.set_event_loop(None)
    os._exit(0)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return repr(value)


if __name__ == "__main__":
    main()
