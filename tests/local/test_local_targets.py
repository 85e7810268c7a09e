"""The local stack refuses a FIFO queue target EventBridge would refuse (moto takes it)."""

import pytest
from pulumi.runtime.mocks import MockResourceArgs

from local.motoserver import ACCOUNT_ID
from local.realize import MotoMocks, UnrealizableResourceError

REGION = "eu-west-1"
FIFO = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:orders.fifo"


@pytest.fixture(scope="module")
def mocks(moto) -> MotoMocks:
    mocks = MotoMocks(moto.endpoint_url, REGION, "http://127.0.0.1:9999")
    mocks.new_resource(
        MockResourceArgs(
            "aws:cloudwatch/eventBus:EventBus", "bus", {"name": "fifo-bus"}, custom=True
        )
    )
    rule = {"name": "fifo-rule", "eventBusName": "fifo-bus", "eventPattern": '{"source":["x"]}'}
    mocks.new_resource(
        MockResourceArgs("aws:cloudwatch/eventRule:EventRule", "rule", rule, custom=True)
    )
    return mocks


def _target(mocks: MotoMocks, logical: str, **extra: object) -> None:
    inputs = {"rule": "fifo-rule", "eventBusName": "fifo-bus", "arn": FIFO, **extra}
    inputs["targetId"] = logical
    mocks.new_resource(
        MockResourceArgs("aws:cloudwatch/eventTarget:EventTarget", logical, inputs, custom=True)
    )


def test_a_fifo_target_without_a_message_group_is_refused(mocks: MotoMocks) -> None:
    with pytest.raises(UnrealizableResourceError, match="MessageGroupId"):
        _target(mocks, "no-group")


def test_a_fifo_target_carries_its_message_group(mocks: MotoMocks, aws) -> None:
    _target(mocks, "grouped", sqsTarget={"messageGroupId": "orders"})
    targets = aws("events").list_targets_by_rule(Rule="fifo-rule", EventBusName="fifo-bus")
    [target] = [t for t in targets["Targets"] if t["Id"] == "grouped"]
    assert target["SqsParameters"] == {"MessageGroupId": "orders"}
