"""The policy pack passes on a prod stack with HTTP destinations (one in a VPC): their tables,
queues, roles and mappings meet the rules every other resource meets."""

import pytest

from policy import rules
from tests.components.mockstack import MockedStack, _with, run_stack
from tests.components.test_http_destination import ORDERS
from tests.policy.test_pack import _policy, _run_stack

IN_VPC = {
    "http": {
        "url": "https://private.example.internal/hooks",
        "vpc": {"subnetIds": ["subnet-0123abcd"], "securityGroupIds": ["sg-0123abcd"]},
    }
}


@pytest.fixture(scope="module")
def prod_with_destinations() -> MockedStack:
    return run_stack(
        "prod", config=_with("prod", subscribers={"orders": ORDERS, "private": IN_VPC})
    )


@pytest.mark.parametrize("name", [r.name for r in rules.STACK_RULES])
def test_stack_policies_pass(prod_with_destinations: MockedStack, name: str) -> None:
    assert _run_stack(_policy(name), prod_with_destinations) == []


def test_resource_policies_pass(prod_with_destinations: MockedStack) -> None:
    from tests.policy.test_pack import _run_resource

    for rule in rules.RESOURCE_RULES:
        for resource in prod_with_destinations.resources:
            if resource.custom and resource.type in rule.types:
                assert _run_resource(_policy(rule.name), resource.type, dict(resource.state)) == []
