"""The delivery graph: table stream → publish function → bus → one rule per subscriber."""

import json
from typing import Any

import pytest

from hookgate.components.publisher import STREAM_FILTER
from tests.components.mockstack import MockedStack, built_stack

SUBSCRIBERS = ("billing", "central", "ci", "everything")
CENTRAL = "arn:aws:events:eu-west-1:210987654321:event-bus/central"


@pytest.fixture(scope="module")
def subs() -> MockedStack:
    return built_stack("subscribers")


def _statements(document: str) -> list[dict[str, Any]]:
    return json.loads(document)["Statement"]


def test_table_streams_new_images(stack: MockedStack) -> None:
    table = stack.one("aws:dynamodb/table:Table").inputs
    assert table["streamEnabled"] is True
    assert table["streamViewType"] == "NEW_IMAGE"


def test_stream_mapping_is_filtered_bounded_and_has_a_dlq(stack: MockedStack) -> None:
    mapping = stack.one(
        "aws:lambda/eventSourceMapping:EventSourceMapping", "webhooks-publisher-stream-mapping"
    ).inputs
    table = stack.one("aws:dynamodb/table:Table")
    assert mapping["eventSourceArn"] == table.state["streamArn"]
    assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["bisectBatchOnFunctionError"] is True
    assert 0 < mapping["maximumRetryAttempts"] <= 10
    assert mapping["maximumRecordAgeInSeconds"] > 0
    assert mapping["startingPosition"] == "TRIM_HORIZON"
    [only] = mapping["filterCriteria"]["filters"]
    assert json.loads(only["pattern"]) == {
        "eventName": ["INSERT"],
        "dynamodb": {"NewImage": {"body_sha256": {"S": [{"exists": True}]}}},
    }
    assert json.loads(only["pattern"]) == STREAM_FILTER
    dlq = stack.one("aws:sqs/queue:Queue", "webhooks-publisher-dlq")
    assert mapping["destinationConfig"]["onFailure"]["destinationArn"] == dlq.state["arn"]
    assert dlq.inputs["sqsManagedSseEnabled"] is True
    assert stack.outputs["publish_dlq_url"] == dlq.state["url"]


def test_bus_is_the_stacks_own(stack: MockedStack) -> None:
    bus = stack.one("aws:cloudwatch/eventBus:EventBus").inputs
    assert bus["name"] == f"webhooks-{stack.stack}" == stack.outputs["bus_name"]
    publish = stack.one("aws:lambda/function:Function", "webhooks-publisher-function").inputs
    assert publish["handler"] == "publish.handler"
    assert publish["environment"]["variables"]["EVENT_BUS_NAME"] == stack.outputs["bus_name"]


def test_stack_files_have_no_subscribers(stack: MockedStack) -> None:
    assert not stack.of_type("aws:cloudwatch/eventRule:EventRule")
    assert stack.outputs["subscriber_rules"] == {}
    assert stack.outputs["subscriber_queue_urls"] == {}


def test_one_rule_per_subscriber_with_the_generated_pattern(subs: MockedStack) -> None:
    rules = {r.inputs["name"]: r for r in subs.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert sorted(rules) == [f"webhooks-sub-{n}-dev" for n in SUBSCRIBERS]
    for rule in rules.values():
        assert rule.inputs["eventBusName"] == "webhooks-dev"
    patterns = {
        n: json.loads(rules[f"webhooks-sub-{n}-dev"].inputs["eventPattern"]) for n in SUBSCRIBERS
    }
    assert patterns["billing"] == {
        "source": ["webhooks.stripe"],
        "detail-type": [{"prefix": "invoice."}, {"prefix": "customer.subscription."}],
    }
    assert patterns["ci"] == {
        "source": ["webhooks.github"],
        "detail-type": ["push", "pull_request"],
        "detail": {"match": {"repository": {"full_name": ["acme/api"]}}},
    }
    assert patterns["everything"] == {"source": [{"prefix": "webhooks."}]}
    assert patterns["central"] == {"source": [{"prefix": "webhooks."}]}
    assert subs.outputs["subscriber_rules"] == {
        n: rules[f"webhooks-sub-{n}-dev"].state["arn"] for n in SUBSCRIBERS
    }


def test_publisher_carries_every_filtered_payload_path(subs: MockedStack) -> None:
    publish = subs.one("aws:lambda/function:Function", "webhooks-publisher-function").inputs
    variables = publish["environment"]["variables"]
    assert variables["MATCH_PATHS"] == "repository.full_name"
    assert variables["ARCHIVE_BUCKET"] == subs.outputs["archive_bucket"]
    policy = subs.one("aws:iam/rolePolicy:RolePolicy", "webhooks-publisher-function-policy")
    reads = [s for s in _statements(policy.inputs["policy"]) if s["Action"][0].startswith("s3:")]
    bucket = f"arn:aws:s3:::{subs.outputs['archive_bucket']}"
    assert reads == [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{bucket}/bodies/*"]},
        # A missing body is then a 404 (NoSuchKey), not a 403.
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [bucket]},
    ]


def test_managed_subscribers_get_a_queue_and_dlq_only_their_rule_may_fill(
    subs: MockedStack,
) -> None:
    rules = {
        r.inputs["name"]: r.state["arn"] for r in subs.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    queues = {q.inputs["name"]: q for q in subs.of_type("aws:sqs/queue:Queue")}
    policies = {
        p.inputs["queueUrl"]: json.loads(p.inputs["policy"])
        for p in subs.of_type("aws:sqs/queuePolicy:QueuePolicy")
    }
    targets = {
        t.inputs["targetId"]: t.inputs
        for t in subs.of_type("aws:cloudwatch/eventTarget:EventTarget")
    }
    for name in ("billing", "ci", "everything"):
        queue = queues[f"webhooks-sub-{name}-dev"]
        dlq = queues[f"webhooks-sub-{name}-dlq-dev"]
        rule = rules[f"webhooks-sub-{name}-dev"]
        assert queue.inputs["sqsManagedSseEnabled"] is dlq.inputs["sqsManagedSseEnabled"] is True
        assert json.loads(queue.inputs["redrivePolicy"])["deadLetterTargetArn"] == dlq.state["arn"]
        for q in (queue, dlq):
            [statement] = policies[q.state["url"]]["Statement"]
            assert statement["Principal"] == {"Service": "events.amazonaws.com"}
            assert statement["Action"] == "sqs:SendMessage"
            assert statement["Resource"] == q.state["arn"]
            assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": rule}}
        target = targets[f"sub-{name}"]
        assert target["arn"] == queue.state["arn"]
        assert target["deadLetterConfig"] == {"arn": dlq.state["arn"]}
        assert target["retryPolicy"]["maximumRetryAttempts"] > 0
        assert subs.outputs["subscriber_queue_urls"][name] == queue.state["url"]
        assert subs.outputs["subscriber_dlq_urls"][name] == dlq.state["url"]
    assert "central" not in subs.outputs["subscriber_queue_urls"]


def test_a_bus_target_gets_a_role_for_exactly_that_bus_and_a_dlq(subs: MockedStack) -> None:
    [target] = [
        t.inputs
        for t in subs.of_type("aws:cloudwatch/eventTarget:EventTarget")
        if t.inputs["targetId"] == "sub-central"
    ]
    assert target["arn"] == CENTRAL
    role = subs.one("aws:iam/role:Role", "webhooks-bus-sub-central-role")
    assert target["roleArn"] == role.state["arn"]
    [trust] = _statements(role.inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    policy = subs.one("aws:iam/rolePolicy:RolePolicy", "webhooks-bus-sub-central-role-policy")
    assert _statements(policy.inputs["policy"]) == [
        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": CENTRAL}
    ]
    dlq = subs.one("aws:sqs/queue:Queue", "webhooks-bus-sub-central-dlq")
    assert target["deadLetterConfig"] == {"arn": dlq.state["arn"]}
    assert subs.outputs["subscriber_targets"] == {"central": CENTRAL}


def test_every_subscriber_dlq_and_the_publisher_are_alarmed(subs: MockedStack) -> None:
    alarms = {
        a.inputs["name"]: a.inputs for a in subs.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }
    for name in SUBSCRIBERS:
        alarm = alarms[f"webhooks-sub-{name}-dlq-not-empty-dev"]
        assert alarm["dimensions"] == {"QueueName": f"webhooks-sub-{name}-dlq-dev"}
        assert alarm["threshold"] == 1
    assert alarms["webhooks-publish-dlq-not-empty-dev"]["dimensions"] == {
        "QueueName": "webhooks-publish-dlq-dev"
    }
    for suffix in ("errors", "iterator-age"):
        assert alarms[f"webhooks-publish-{suffix}-dev"]["dimensions"] == {
            "FunctionName": "webhooks-publish-dev"
        }


def test_prod_protects_subscriber_queues() -> None:
    from tests.components.mockstack import SUBSCRIBERS as CONFIG
    from tests.components.mockstack import _with, run_stack

    prod = run_stack("prod", config=_with("prod", subscribers=CONFIG))
    for queue in prod.of_type("aws:sqs/queue:Queue"):
        assert queue.protect is True, queue.name


def test_policy_pack_counts_delivery_dlqs_as_dlqs(subs: MockedStack) -> None:
    """The publish DLQ (a mapping's on-failure destination) and a target's DLQ redrive nowhere
    and must not be flagged; a delivery queue without a DLQ still is."""
    from policy import rules
    from tests.policy.resources import stack_resources

    resources = stack_resources(subs)
    assert rules.queues_have_dlq(resources) == []
    managed = [r for r in resources if r.name == "webhooks-bus-sub-billing-queue"]
    stripped = [
        rules.Resource(
            type=r.type,
            name=r.name,
            props={k: v for k, v in r.props.items() if k != "redrivePolicy"},
            urn=r.urn,
            protect=r.protect,
            dependencies=r.dependencies,
        )
        if r in managed
        else r
        for r in resources
    ]
    [violation] = rules.queues_have_dlq(stripped)
    assert "webhooks-bus-sub-billing-queue" in violation.message
