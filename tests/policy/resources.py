"""The mocked graph of a stack as the policy rules see it (`policy/rules.py`)."""

from __future__ import annotations

from typing import Any

from policy import rules
from tests.components.mockstack import MockedResource, MockedStack


def as_rule_resource(resource: MockedResource, *, outputs: bool = False) -> rules.Resource:
    """Inputs, as CrossGuard gives a resource policy; or outputs (inputs + what the mocks
    computed: ARNs, URLs), as it gives a stack policy."""
    props: dict[str, Any] = resource.state if outputs else resource.inputs
    return rules.Resource(
        type=resource.type,
        name=resource.name,
        props=props,
        urn=resource.urn,
        protect=resource.protect,
        dependencies=resource.dependencies,
    )


def stack_resources(stack: MockedStack) -> list[rules.Resource]:
    """Every custom resource of the stack with its outputs (what a stack policy validates)."""
    return [as_rule_resource(r, outputs=True) for r in stack.resources if r.custom]


def resource_violations(stack: MockedStack, rule: rules.ResourceRule) -> list[str]:
    return [
        message
        for resource in stack.resources
        if resource.type in rule.types
        for message in rule.check(as_rule_resource(resource))
    ]
