"""CrossGuard policy pack of the webhook pipeline: `pulumi preview --policy-pack policy`.

Every policy wraps one plain rule of `rules.py` (the tests run the same functions over the
mocked stacks). All are mandatory: a violation stops `pulumi preview`/`pulumi up`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

if TYPE_CHECKING:  # type checkers and tests see the package
    from policy import rules
else:  # Pulumi runs the pack's folder as a script: `rules.py` is next to this file
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import rules


rules.UNKNOWN_VALUE_ERRORS = (UnknownValueError,)


def resource_policy(rule: rules.ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.types:
            return
        resource = rules.Resource(
            type=args.resource_type,
            name=args.name,
            props=args.props,
            urn=args.urn,
            protect=bool(args.opts.protect),
        )
        for message in rule.check(resource):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def stack_policy(rule: rules.StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            rules.Resource(
                type=r.resource_type,
                name=r.name,
                props=r.props,
                urn=r.urn,
                protect=bool(r.opts.protect),
                dependencies=tuple(d.urn for d in r.dependencies),
            )
            for r in args.resources
        ]
        for violation in rule.check(resources):
            report_violation(violation.message, violation.urn)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def policies() -> list[Policy]:
    return [
        *(resource_policy(rule) for rule in rules.RESOURCE_RULES),
        *(stack_policy(rule) for rule in rules.STACK_RULES),
    ]


if __name__ == "__main__":
    PolicyPack(name="webhooks", policies=policies())
