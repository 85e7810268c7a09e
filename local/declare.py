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
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any


def declare(request: dict[str, Any]) -> dict[str, Any]:
    """Run the program once and return {"declaration": ..., "outputs": ...}."""
    import pulumi
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import settings
    from pulumi.runtime.stack import massage, run_pulumi_func
    from pulumi.runtime.sync_await import _sync_await

    from local.realize import MotoMocks, plain

    program_dir = Path(request["program_dir"]).resolve()
    mocks = MotoMocks(
        endpoint_url=request["moto_endpoint"],
        region=request["region"],
        api_endpoint=request["api_endpoint"],
    )
    pulumi.runtime.set_mocks(
        mocks, project=request["project"], stack=request["stack"], preview=False
    )
    runtime_config.set_all_config(request["config"], request["secret_keys"])
    os.chdir(program_dir)
    sys.path.insert(0, str(program_dir))
    outputs: dict[str, Any] = {}

    async def program() -> None:
        runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__")
        stack = settings.get_root_resource()
        exported = massage(dict(stack.outputs), [])
        outputs.update(await pulumi.Output.from_input(exported).future() or {})

    _sync_await(run_pulumi_func(program))
    return {
        "declaration": dataclasses.asdict(mocks.declaration),
        "outputs": plain(outputs),
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
