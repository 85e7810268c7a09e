"""Lean logs: the platform's per-invocation lines are dropped by Lambda's logging configuration,
and the prod profile writes nothing at DEBUG."""

import pytest

from tests.components.mockstack import built_stack
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.process_settings import ProcessHandlerSettings

FUNCTION = "aws:lambda/function:Function"


@pytest.mark.parametrize("scenario", ["dev", "prod", "function-url"])
def test_every_function_logs_json_with_system_lines_at_warn(scenario: str) -> None:
    functions = built_stack(scenario).of_type(FUNCTION)
    handlers = {fn.inputs["handler"] for fn in functions}
    assert handlers == {"ingest.handler", "process.handler", "publish.handler"}
    for fn in functions:
        config = fn.inputs["loggingConfig"]
        assert config["logFormat"] == "JSON"
        # START, END and REPORT are system INFO lines: WARN drops them.
        assert config["systemLogLevel"] == "WARN"
        # Our own lines are filtered by the handlers' LOG_LEVEL; Lambda drops none of them.
        assert config["applicationLogLevel"] == "TRACE"


def test_prod_writes_nothing_at_debug() -> None:
    stack = built_stack("prod")
    ingest, process = (
        next(f for f in stack.of_type(FUNCTION) if f.inputs["handler"] == handler)
        for handler in ("ingest.handler", "process.handler")
    )
    variables = ingest.inputs["environment"]["variables"]
    assert IngestHandlerSettings.from_environ(variables).log_level != "DEBUG"
    variables = process.inputs["environment"]["variables"]
    assert ProcessHandlerSettings.from_environ(variables).log_level != "DEBUG"
