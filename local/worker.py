"""One Lambda execution environment: a process that imports a handler as Lambda does and runs it.

`python -m local.worker --handler ingest.handler --code-dir handlers ...` puts the code
directory first on `sys.path` (and nothing of the local stack), imports the handler module once
(the init phase), then answers invocations. Requests arrive on stdin, one JSON line each
(`{"event": ..., "request_id": ..., "deadline_ms": ...}`); answers leave on the original stdout,
one JSON line each (`{"ok": true, "result": ...}` or `{"ok": false, "errorType": ...,
"errorMessage": ..., "stackTrace": [...]}`). What the handler prints goes to stderr, the
function's log.
"""

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes of the Lambda context object that handlers read."""

    def __init__(self, args: argparse.Namespace, request_id: str, deadline_ms: int) -> None:
        self.function_name = args.function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = args.function_arn
        self.memory_limit_in_mb = args.memory
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{args.function_name}"
        self.log_stream_name = f"local/{os.getpid()}"
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "ok": False,
        "errorType": error_type or type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error)[-6:],
    }


def _load_handler(spec: str) -> Any:
    module_name, _, function_name = spec.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, function_name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--handler", required=True)
    parser.add_argument("--code-dir", required=True)
    parser.add_argument("--function-name", required=True)
    parser.add_argument("--function-arn", required=True)
    parser.add_argument("--memory", type=int, default=128)
    parser.add_argument("--faults", default="")
    args = parser.parse_args()

    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # handler output goes to the function's log, not the answer channel
    injector = None
    if args.faults:
        from local.faults import install

        injector = install(args.faults)

    here = os.getcwd()
    sys.path[:] = [args.code_dir] + [p for p in sys.path if p not in ("", here)]
    os.chdir(args.code_dir)
    init_error: dict[str, Any] | None = None
    try:
        handler = _load_handler(args.handler)
    except Exception as error:  # an init error fails every invocation, as on Lambda
        init_error = _error(error, "Runtime.ImportModuleError")
        traceback.print_exc()
    answers.write(json.dumps({"ready": init_error is None}) + "\n")
    answers.flush()

    for line in sys.stdin:
        request = json.loads(line)
        if init_error is not None:
            answer = init_error
        else:
            context = LambdaContext(args, request["request_id"], request["deadline_ms"])
            try:
                answer = {"ok": True, "result": handler(request["event"], context)}
            except Exception as error:
                traceback.print_exc()
                answer = _error(error)
        if injector is not None:
            answer["faults"] = injector.take_counts()
        sys.stdout.flush()
        try:
            text = json.dumps(answer)
        except (TypeError, ValueError) as error:
            text = json.dumps(_error(error, "Runtime.MarshalError"))
        answers.write(text + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
