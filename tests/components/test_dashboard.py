"""The dashboard shows only metrics that exist: each widget's namespace, metric and dimensions
are ones the handlers write (captured from the real handlers, run with the environment the
program gives them) or that AWS publishes for the service."""

import functools
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

import process
import publish
from ops.signing import sample, sign
from tests.components.mockstack import MockedStack, built_stack
from tests.components.test_environment import ingest_variables_of
from webhooks.ingest_settings import IngestHandlerSettings
from webhooks.process_settings import ProcessHandlerSettings
from webhooks.publish_settings import PublishHandlerSettings
from webhooks.receiver import Receiver
from webhooks.secrets import SecretsCache

SECRET = "dashboard-test-secret"
# What AWS publishes, with the dimension each widget uses (CloudWatch metric references:
# SQS https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html,
# Lambda https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
AWS_METRICS = {
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible", frozenset({"QueueName"})),
    ("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", frozenset({"QueueName"})),
    ("AWS/SQS", "ApproximateAgeOfOldestMessage", frozenset({"QueueName"})),
    ("AWS/Lambda", "Errors", frozenset({"FunctionName"})),
    ("AWS/Lambda", "Throttles", frozenset({"FunctionName"})),
    ("AWS/Lambda", "Duration", frozenset({"FunctionName"})),
}


class _Sqs:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def send_message(self, **_: Any) -> dict[str, str]:
        if self.fail:
            raise ConnectionError("queue down")
        return {"MessageId": "m-1"}


class _SecretsManager:
    def get_secret_value(self, **_: Any) -> dict[str, str]:
        return {"SecretString": json.dumps({"secrets": [SECRET]})}


def _emf_lines(capsys: pytest.CaptureFixture[str]) -> Iterator[dict[str, Any]]:
    for line in capsys.readouterr().out.splitlines():
        record = json.loads(line)
        if "_aws" in record:
            yield record


def emitted(
    stack: MockedStack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> dict[tuple, dict]:
    """(namespace, metric, dimension names) → dimension values, from the handlers' own lines:
    an accepted, a forged, an unknown-provider and an unqueueable delivery, a batch stored and
    a batch published."""
    config = IngestHandlerSettings.from_environ(ingest_variables_of(stack))
    secrets = SecretsCache(lambda: _SecretsManager(), 300)
    provider = next(p for p, scheme in stack.outputs["providers"].items() if scheme == "github")

    def event(name: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        return {
            "version": "2.0",
            "rawPath": f"/webhooks/{name}",
            "pathParameters": {"provider": name},
            "headers": {k.lower(): v for k, v in headers.items()},
            "requestContext": {"http": {"method": "POST", "sourceIp": "203.0.113.9"}},
            "body": body.decode(),
            "isBase64Encoded": False,
        }

    delivery = sample("github")
    signed = sign("github", SECRET, delivery.body, delivery_id=delivery.delivery_id)
    forged = sign("github", "wrong", delivery.body, delivery_id=delivery.delivery_id)
    for fail, name, headers, status in (
        (False, provider, signed, 202),
        (False, provider, forged, 401),
        (False, "no-such-sender", signed, 404),
        (True, provider, signed, 503),
    ):
        receiver = Receiver(
            config, sqs=functools.partial(_Sqs, fail), s3=lambda: None, secrets=secrets
        )
        assert receiver.handle(event(name, headers, delivery.body))["statusCode"] == status
    process_fn = stack.one("aws:lambda/function:Function", "webhooks-processor-function")
    settings = ProcessHandlerSettings.from_environ(process_fn.inputs["environment"]["variables"])
    monkeypatch.setattr(process, "_runtime", lambda: (settings, None, None, None))
    assert process.handler({"Records": []}, None) == {"batchItemFailures": []}
    publish_fn = stack.one("aws:lambda/function:Function", "webhooks-publisher-function")
    variables = publish_fn.inputs["environment"]["variables"]
    publish_settings = PublishHandlerSettings.from_environ(variables)
    monkeypatch.setattr(publish, "_runtime", lambda: (publish_settings, None, None))
    assert publish.handler({"Records": []}, None) == {"batchItemFailures": []}
    found: dict[tuple, dict] = {}
    for record in _emf_lines(capsys):
        for directive in record["_aws"]["CloudWatchMetrics"]:
            [dimensions] = directive["Dimensions"]
            for metric in directive["Metrics"]:
                key = (directive["Namespace"], metric["Name"], frozenset(dimensions))
                found.setdefault(key, {}).update({d: record[d] for d in dimensions})
    return found


def widget_metrics(stack: MockedStack) -> Iterator[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of every widget line; SEARCH expressions parsed."""
    body = json.loads(stack.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    for widget in body["widgets"]:
        for line in widget["properties"]["metrics"]:
            if isinstance(line[0], dict):
                query = re.fullmatch(
                    r"SEARCH\('\{([^}]*)\} MetricName=\"(\w+)\" (.*)', 'Sum', 60\)",
                    line[0]["expression"],
                )
                assert query, line
                namespace, *names = query[1].split(",")
                values = dict(re.findall(r'(\w+)="([^"]*)"', query[3]))
                assert set(values) <= set(names)
                yield namespace, query[2], {name: values.get(name, "*") for name in names}
            else:
                namespace, metric, *pairs = (x for x in line if not isinstance(x, dict))
                yield namespace, metric, dict(zip(pairs[::2], pairs[1::2], strict=True))


@pytest.mark.parametrize("scenario", ["dev", "prod", "pr-123"])
def test_every_widget_shows_a_metric_that_is_emitted(
    scenario: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = built_stack(scenario)
    handlers = emitted(stack, capsys, monkeypatch)
    assert {("Webhooks", "Accepted"), ("Webhooks", "Rejected"), ("Webhooks", "Stored")} <= {
        key[:2] for key in handlers
    }
    names = {
        "QueueName": {
            stack.outputs["queue_url"].rsplit("/", 1)[1],
            stack.outputs["dlq_url"].rsplit("/", 1)[1],
        },
        "FunctionName": {
            stack.outputs["ingest_function_name"],
            stack.outputs["process_function_name"],
        },
    }
    shown = list(widget_metrics(stack))
    assert len(shown) >= 12
    for namespace, metric, dimensions in shown:
        key = (namespace, metric, frozenset(dimensions))
        if namespace.startswith("AWS/"):
            assert key in AWS_METRICS, key
            for name, value in dimensions.items():
                assert value in names[name], (metric, name, value)
        else:
            assert key in handlers, key
            # The stack's own Environment value, exactly as the handlers write it.
            assert dimensions["Environment"] == handlers[key]["Environment"] == stack.stack


def test_dashboard_is_per_stack_and_region() -> None:
    names = {
        built_stack(s).one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardName"]
        for s in ("dev", "prod", "pr-123", "prod-us-east-1")
    }
    assert names == {
        "webhooks-dev-eu-west-1",
        "webhooks-prod-eu-west-1",
        "webhooks-pr-123-eu-west-1",
        "webhooks-prod-us-east-1",
    }
    url = built_stack("prod").outputs["dashboard_url"]
    assert url.endswith("?region=eu-west-1#dashboards/dashboard/webhooks-prod-eu-west-1")
