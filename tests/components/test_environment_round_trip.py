"""Each function's environment, as its module in `hookgate/components/environments/` renders it,
reads back through the handler's own settings class into the values of the settings sections it
came from: the program's mapping and the handlers' contract held together.

Run for the stack files, the every-feature stacks (the publisher reads and writes the archive)
and settings with every knob away from the handlers' defaults, so that a value the mapping
dropped cannot pass as the default that happens to equal it.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import pytest

from hookgate.components.environments import ingest, process, publish
from hookgate.components.settings import Settings
from hookgate.components.subscribers import match_paths, read_subscribers
from tests.components.mockstack import SUBSCRIBERS, MockedStack, built_stack
from tests.components.test_graph import function, settings_of
from webhooks import Record
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.process_settings import ProcessHandlerSettings
from webhooks.publish_settings import PublishHandlerSettings

SCENARIOS = ("dev", "prod", "every-feature", "every-feature-url")


@dataclasses.dataclass(frozen=True)
class References:
    """The resources' names a function's environment carries."""

    queue_url: str
    archive_bucket: str
    secret_arns: Mapping[str, str]
    table_name: str
    event_bus_name: str

    @classmethod
    def of(cls, stack: MockedStack) -> References:
        outputs = stack.outputs
        return cls(
            queue_url=outputs["queue_url"],
            archive_bucket=outputs["archive_bucket"],
            secret_arns=outputs["provider_secret_arns"],
            table_name=outputs["table_name"],
            event_bus_name=outputs["bus_name"],
        )


def off_defaults() -> Settings:
    """The dev stack's settings with every knob a handler reads set away from its default, and
    subscribers filtering on the payload (the publisher carries match paths)."""
    s = settings_of(built_stack("dev"))
    return dataclasses.replace(
        s,
        stack="review-7",
        metrics_namespace="Hooks/Review",
        ingest=dataclasses.replace(
            s.ingest,
            max_body_bytes=2_000_000,
            inline_body_limit=100_000,
            secrets_refresh_seconds=60,
        ),
        processor=dataclasses.replace(s.processor, write_concurrency=3),
        table=dataclasses.replace(s.table, event_ttl_days=5),
        logs=dataclasses.replace(s.logs, level="WARNING"),
        subscribers=read_subscribers(
            {"subscribers": SUBSCRIBERS}, tuple(p.name for p in s.providers)
        ),
    )


def off_default_references(s: Settings) -> References:
    account, region = "123456789012", "eu-west-1"
    return References(
        queue_url=f"https://sqs.{region}.amazonaws.com/{account}/webhooks-queue-{s.stack}",
        archive_bucket=f"webhooks-archive-{s.stack}-{account}-{region}",
        secret_arns={
            p.name: f"arn:aws:secretsmanager:{region}:{account}:secret:webhooks/{s.stack}/{p.name}"
            "-AbCdEf"
            for p in s.providers
        },
        table_name=f"webhooks-events-{s.stack}",
        event_bus_name=f"webhooks-{s.stack}",
    )


def _stack_case(name: str) -> tuple[Settings, References, MockedStack | None]:
    stack = built_stack(name)
    return settings_of(stack), References.of(stack), stack


def _off_defaults_case() -> tuple[Settings, References, MockedStack | None]:
    settings = off_defaults()
    return settings, off_default_references(settings), None


CASES = [
    *(pytest.param(partial(_stack_case, name), id=name) for name in SCENARIOS),
    pytest.param(_off_defaults_case, id="off-defaults"),
]


def _fields(record: Record) -> dict[str, object]:
    return {name: getattr(record, name) for name in record.__slots__}


def ingest_variables(s: Settings, refs: References) -> dict[str, str]:
    return ingest.handler_settings(
        s.ingest,
        s.logs,
        s.providers,
        stack=s.stack,
        metrics_namespace=s.metrics_namespace,
        queue_url=refs.queue_url,
        archive_bucket=refs.archive_bucket,
        secret_arns=refs.secret_arns,
    ).to_environ()


def expected_ingest(s: Settings, refs: References) -> dict[str, object]:
    return {
        "queue_url": refs.queue_url,
        "archive_bucket": refs.archive_bucket,
        "providers": {
            p.name: (p.scheme, refs.secret_arns[p.name], dict(p.options)) for p in s.providers
        },
        "environment": s.stack,
        "max_body_bytes": s.ingest.max_body_bytes,
        "inline_body_limit": s.ingest.inline_body_limit,
        "secrets_refresh_seconds": s.ingest.secrets_refresh_seconds,
        "metrics_namespace": s.metrics_namespace,
        "log_level": s.logs.level,
    }


def process_variables(s: Settings, refs: References) -> dict[str, str]:
    return process.handler_settings(
        s.processor,
        s.table,
        s.logs,
        stack=s.stack,
        metrics_namespace=s.metrics_namespace,
        table_name=refs.table_name,
        archive_bucket=refs.archive_bucket,
    ).to_environ()


def expected_process(s: Settings, refs: References) -> dict[str, object]:
    return {
        "table_name": refs.table_name,
        "ttl_days": s.table.event_ttl_days,
        "environment": s.stack,
        "archive_bucket": refs.archive_bucket,
        "metrics_namespace": s.metrics_namespace,
        "log_level": s.logs.level,
        "write_concurrency": s.processor.write_concurrency,
    }


def publish_variables(s: Settings, refs: References) -> dict[str, str]:
    return publish.handler_settings(
        s.ingest,
        s.subscribers,
        s.logs,
        stack=s.stack,
        metrics_namespace=s.metrics_namespace,
        event_bus_name=refs.event_bus_name,
        archive_bucket=refs.archive_bucket,
    ).to_environ()


def expected_publish(s: Settings, refs: References) -> dict[str, object]:
    uses_archive = publish.writes_archive(s.ingest) or publish.reads_archive(s.subscribers)
    return {
        "event_bus_name": refs.event_bus_name,
        "environment": s.stack,
        "archive_bucket": refs.archive_bucket if uses_archive else "",
        "match_paths": match_paths(s.subscribers),
        "metrics_namespace": s.metrics_namespace,
        "log_level": s.logs.level,
    }


def _provider_values(read: IngestHandlerSettings) -> dict[str, object]:
    """The read-back providers as their settings hold them: scheme, secret ARN, options."""
    return {
        name: (p.scheme.name, p.secret_arn, p.scheme.explicit(p.values))
        for name, p in read.providers.items()
    }


Render = Callable[[Settings, References], dict[str, str]]
Expect = Callable[[Settings, References], dict[str, object]]
# function → its module's rendering, the values it must read back as, the handler's class.
FUNCTIONS: dict[str, tuple[Render, Expect, Any]] = {
    "ingest": (ingest_variables, expected_ingest, IngestHandlerSettings),
    "process": (process_variables, expected_process, ProcessHandlerSettings),
    "publish": (publish_variables, expected_publish, PublishHandlerSettings),
}


@pytest.mark.parametrize("kind", FUNCTIONS)
@pytest.mark.parametrize("case", CASES)
def test_environment_reads_back_into_its_sections(case: Any, kind: str) -> None:
    settings, refs, stack = case()
    render, expected, handler_class = FUNCTIONS[kind]
    variables = render(settings, refs)
    read = handler_class.from_environ(variables)
    fields = _fields(read)
    if isinstance(read, IngestHandlerSettings):
        fields["providers"] = _provider_values(read)
    assert fields == expected(settings, refs)
    assert read.to_environ() == variables
    if stack is not None:  # the function is declared with exactly what its module renders
        assert function(stack, kind).inputs["environment"]["variables"] == variables


@pytest.mark.parametrize("kind", FUNCTIONS)
def test_off_defaults_moves_every_knob_off_the_handlers_default(kind: str) -> None:
    """Otherwise a knob the mapping dropped would read back as the default and pass."""
    _, expected, handler_class = FUNCTIONS[kind]
    settings, refs, _ = _off_defaults_case()
    values = expected(settings, refs)
    defaulted = {
        name: parameter.default
        for name, parameter in inspect.signature(handler_class.__init__).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    assert defaulted
    assert {name: values[name] for name in defaulted if values[name] == defaulted[name]} == {}
