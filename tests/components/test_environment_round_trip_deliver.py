"""Each HTTP destination's deliver function: its environment module's rendering reads back,
through the handler's `DestinationSettings`, into the subscriber's `http` section and the
references it came from, and is what the function is declared with."""

from __future__ import annotations

import pytest

from hookgate.components.environments import deliver
from tests.components.mockstack import built_stack
from tests.components.test_graph import settings_of
from webhooks.destination_settings import DestinationSettings

REFERENCES = {
    "secret_arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dest-AbCdEf",
    "state_table": "webhooks-http-partner-state",
    "events_table": "webhooks-events-prod",
    "archive_bucket": "webhooks-archive-prod-eu-west-1-123456789012",
    "queue_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/partner",
    "dlq_url": "https://sqs.eu-west-1.amazonaws.com/123456789012/partner-dlq",
}


@pytest.mark.parametrize("scenario", ["every-feature", "every-feature-url"])
def test_each_destination_reads_back_into_its_section(scenario: str) -> None:
    stack = built_stack(scenario)
    settings = settings_of(stack)
    destinations = [s for s in settings.subscribers if s.http is not None]
    assert destinations  # the scenario has HTTP subscribers
    functions = {
        f.inputs["environment"]["variables"]["DESTINATION"]: f
        for f in stack.of_type("aws:lambda/function:Function")
        if f.inputs["handler"] == "deliver.handler"
    }
    for subscriber in destinations:
        http = subscriber.http
        assert http is not None
        variables = deliver.handler_settings(
            http,
            settings.logs,
            destination=subscriber.name,
            stack=settings.stack,
            metrics_namespace=settings.metrics_namespace,
            **REFERENCES,
        ).to_environ()
        read = DestinationSettings.from_environ(variables)
        assert (
            read.destination,
            read.url,
            read.environment,
            read.rate_per_second,
            read.timeout_seconds,
            read.max_age_seconds,
            read.body,
            tuple(read.headers),
            read.metrics_namespace,
            read.log_level,
        ) == (
            subscriber.name,
            http.url,
            settings.stack,
            http.rate_limit_per_second,
            http.timeout_seconds,
            http.max_age_hours * 3600,
            http.body,
            tuple(http.headers),
            settings.metrics_namespace,
            settings.logs.level,
        )
        assert {name: getattr(read, name) for name in REFERENCES} == REFERENCES
        assert read.to_environ() == variables
        # The declared function differs only in the references the mocks name.
        declared = functions[subscriber.name].inputs["environment"]["variables"]
        names = {"SECRET_ARN", "STATE_TABLE", "EVENTS_TABLE", "ARCHIVE_BUCKET", "QUEUE_URL"}
        names.add("DLQ_URL")
        assert {k: v for k, v in declared.items() if k not in names} == {
            k: v for k, v in variables.items() if k not in names
        }


def test_every_knob_off_its_default_reads_back() -> None:
    """A mapping that dropped a knob would read back as the handler's default and pass the
    stacks' cases (their destination keeps the defaults): here each differs from it."""
    import inspect

    from hookgate.components.http_settings import HttpSettings
    from hookgate.components.settings import LogSettings

    http = HttpSettings(
        url="https://orders.internal.example.com/hooks",
        rate_limit_per_second=3,
        timeout_seconds=7,
        max_age_hours=5,
        body="event",
        headers=(("X-Team", "orders"),),
    )
    logs = LogSettings(level="WARNING")
    rendered = deliver.handler_settings(
        http,
        logs,
        destination="orders",
        stack="review-7",
        metrics_namespace="Hooks/Review",
        **REFERENCES,
    ).to_environ()
    read = DestinationSettings.from_environ(rendered)
    expected = {
        "rate_per_second": 3,
        "timeout_seconds": 7,
        "max_age_seconds": 5 * 3600,
        "body": "event",
        "headers": (("X-Team", "orders"),),
        "metrics_namespace": "Hooks/Review",
        "log_level": "WARNING",
    }
    assert {name: getattr(read, name) for name in expected} == expected
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(DestinationSettings.__init__).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    assert set(defaults) == set(expected)  # a new defaulted knob needs its case here
    assert all(expected[name] != defaults[name] for name in defaults)
