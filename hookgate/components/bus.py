"""The stack's event bus and one rule per subscriber, with its target, permission and DLQ.

A managed subscriber (no `target`) gets a queue and a DLQ (`webhooks-sub-<name>-<stack>`,
`webhooks-sub-<name>-dlq-<stack>`), both SSE-SQS; the DLQ takes what the consumer fails
`maxReceiveCount` times and what EventBridge could not deliver after its retries. Each queue's
policy lets exactly this subscriber's rule send. A subscriber with a `target` gets the rule
target, what EventBridge needs to reach it and a DLQ for what cannot be delivered: for a
function of this account a Lambda permission; for a bus (any account or Region), or a queue or
function of another account, a delivery role of this account allowed exactly that call on that
target, which only this rule may assume. The target's own policy belongs to its owner (an SQS
queue's policy, another account's function or bus policy: docs/deploying.md, "Subscribers in
another account"). A FIFO queue target gets its message group id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from hookgate.components import naming
from hookgate.components.http_destination import HTTP_MAX_RECEIVE_COUNT, http_queue_visibility
from hookgate.components.retention import DLQ_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS
from hookgate.components.subscribers import SubscriberSettings

SUBSCRIBER_MAX_RECEIVE_COUNT = 5
# EventBridge's own bounds: retried with backoff for up to a day, then the target DLQ.
TARGET_MAX_EVENT_AGE_SECONDS = 24 * 3600
TARGET_MAX_RETRY_ATTEMPTS = 185
# What a delivery role may do on its target, and its policy's name prefix, per target kind.
DELIVERY_ACTIONS = {
    "bus": ("events:PutEvents", "put-events"),
    "queue": ("sqs:SendMessage", "send-message"),
    "function": ("lambda:InvokeFunction", "invoke"),
}


def events_trust_policy(rule_arn: pulumi.Input[str], account_id: str) -> pulumi.Output[str]:
    """EventBridge may assume the role for this rule of this account only
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html:
    for a bus rule's target, `aws:SourceArn` is the rule's ARN)."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "ArnEquals": {"aws:SourceArn": rule_arn},
                        "StringEquals": {"aws:SourceAccount": account_id},
                    },
                }
            ],
        }
    )


@dataclass(frozen=True)
class WebhookBusArgs:
    bus_name: str
    subscribers: tuple[SubscriberSettings, ...]
    name: Callable[[str, int], str]
    """Physical name of a regional resource (`Settings.name`)."""
    role_name: Callable[[str], str]
    """Physical name of an IAM role (account-global, carries the region)."""
    account_id: str
    """The bus's account, a plain value: a target in another account gets a delivery role."""
    protect: bool
    """Subscriber queues hold undelivered events: protected like the pipeline's queues."""
    tags: dict[str, str]


@dataclass(frozen=True)
class Subscriber:
    """What was built for one subscriber."""

    rule: aws.cloudwatch.EventRule
    target: aws.cloudwatch.EventTarget
    dlq: aws.sqs.Queue
    queue: aws.sqs.Queue | None
    role: aws.iam.Role | None
    """The delivery role (a bus target, or a queue or function in another account)."""


def send_policy(queue_arn: pulumi.Input[str], rule_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """A queue policy: EventBridge may send to this queue for this rule only."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ThisRuleOnly",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }
    )


class WebhookBus(pulumi.ComponentResource):
    """`webhooks-<stack>`: the custom bus the publisher puts every stored event on."""

    def __init__(
        self, name: str, args: WebhookBusArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:bus:WebhookBus", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bus = aws.cloudwatch.EventBus(
            f"{name}-bus", name=args.bus_name, tags=args.tags, opts=child
        )
        self.subscribers: dict[str, Subscriber] = {
            s.name: self._subscriber(name, s, args, child) for s in args.subscribers
        }
        self.bus_name = self.bus.name
        self.bus_arn = self.bus.arn
        self.queue_urls = {n: s.queue.url for n, s in self.subscribers.items() if s.queue}
        self.dlq_urls = {n: s.dlq.url for n, s in self.subscribers.items()}
        self.dlq_names = {n: s.dlq.name for n, s in self.subscribers.items()}
        self.rule_arns = {n: s.rule.arn for n, s in self.subscribers.items()}
        self.role_arns = {n: s.role.arn for n, s in self.subscribers.items() if s.role}
        self.register_outputs(
            {
                "bus_name": self.bus_name,
                "bus_arn": self.bus_arn,
                "subscriber_queue_urls": self.queue_urls,
                "subscriber_dlq_urls": self.dlq_urls,
                "subscriber_rules": self.rule_arns,
                "subscriber_roles": self.role_arns,
            }
        )

    def _subscriber(
        self,
        name: str,
        s: SubscriberSettings,
        args: WebhookBusArgs,
        child: pulumi.ResourceOptions,
    ) -> Subscriber:
        base = f"{name}-sub-{s.name}"
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        rule = aws.cloudwatch.EventRule(
            f"{base}-rule",
            name=args.name(f"sub-{s.name}", naming.EVENT_RULE),
            description=f"Published webhook events for subscriber {s.name}.",
            event_bus_name=self.bus.name,
            event_pattern=json.dumps(s.event_pattern(), sort_keys=True),
            state="ENABLED",
            tags=args.tags,
            opts=child,
        )
        dlq = aws.sqs.Queue(
            f"{base}-dlq",
            name=args.name(f"sub-{s.name}-dlq", naming.SQS_QUEUE),
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=args.tags,
            opts=stateful,
        )
        # EventBridge puts what it could not deliver into the DLQ: allowed for this rule only.
        aws.sqs.QueuePolicy(
            f"{base}-dlq-policy",
            queue_url=dlq.url,
            policy=send_policy(dlq.arn, rule.arn),
            opts=child,
        )
        queue = None
        role: aws.iam.Role | None = None
        depends: list[pulumi.Resource] = []
        if s.target is None:
            queue = aws.sqs.Queue(
                f"{base}-queue",
                name=args.name(f"sub-{s.name}", naming.SQS_QUEUE),
                message_retention_seconds=QUEUE_RETENTION_SECONDS,
                sqs_managed_sse_enabled=True,
                # An HTTP destination's function retries until maxAgeHours and dead-letters
                # itself (components/http_destination.py): the redrive is only its safety net.
                visibility_timeout_seconds=http_queue_visibility(s.http) if s.http else None,
                redrive_policy=pulumi.Output.json_dumps(
                    {
                        "deadLetterTargetArn": dlq.arn,
                        "maxReceiveCount": HTTP_MAX_RECEIVE_COUNT
                        if s.http
                        else SUBSCRIBER_MAX_RECEIVE_COUNT,
                    }
                ),
                tags=args.tags,
                opts=stateful,
            )
            depends.append(
                aws.sqs.QueuePolicy(
                    f"{base}-queue-policy",
                    queue_url=queue.url,
                    policy=send_policy(queue.arn, rule.arn),
                    opts=child,
                )
            )
            target_arn: pulumi.Input[str] = queue.arn
        else:
            target_arn = s.target
            if s.target_kind == "bus" or s.target_account != args.account_id:
                # A bus anywhere, or a queue or function in another account: EventBridge
                # assumes a role of the bus's account, which the target's policy must allow.
                role, role_policy = self._delivery_role(base, s, args, rule, child)
                depends.append(role_policy)
            elif s.target_kind == "function":
                depends.append(
                    aws.lambda_.Permission(
                        f"{base}-invoke",
                        action="lambda:InvokeFunction",
                        function=s.target,
                        principal="events.amazonaws.com",
                        source_arn=rule.arn,
                        opts=child,
                    )
                )
        target = aws.cloudwatch.EventTarget(
            f"{base}-target",
            rule=rule.name,
            event_bus_name=self.bus.name,
            target_id=f"sub-{s.name}",
            arn=target_arn,
            role_arn=role.arn if role is not None else None,
            sqs_target=aws.cloudwatch.EventTargetSqsTargetArgs(message_group_id=s.message_group_id)
            if s.message_group_id is not None
            else None,
            # A bus target takes no retry policy: EventBridge delivers to buses itself.
            retry_policy=None
            if s.target_kind == "bus"
            else aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=TARGET_MAX_EVENT_AGE_SECONDS,
                maximum_retry_attempts=TARGET_MAX_RETRY_ATTEMPTS,
            ),
            dead_letter_config=aws.cloudwatch.EventTargetDeadLetterConfigArgs(arn=dlq.arn),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends),
        )
        return Subscriber(rule=rule, target=target, dlq=dlq, queue=queue, role=role)

    def _delivery_role(
        self,
        base: str,
        s: SubscriberSettings,
        args: WebhookBusArgs,
        rule: aws.cloudwatch.EventRule,
        child: pulumi.ResourceOptions,
    ) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """The role EventBridge assumes for this rule only (confused deputy: `aws:SourceArn`
        is the rule, `aws:SourceAccount` the bus's account), allowed the one call on the target."""
        role = aws.iam.Role(
            f"{base}-role",
            name=args.role_name(f"sub-{s.name}"),
            assume_role_policy=events_trust_policy(rule.arn, args.account_id),
            tags=args.tags,
            opts=child,
        )
        action, prefix = DELIVERY_ACTIONS[s.target_kind]
        policy = aws.iam.RolePolicy(
            f"{base}-role-policy",
            name=f"{prefix}-{s.name}",
            role=role.id,
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": action,
                            "Resource": s.target,
                        }
                    ],
                }
            ),
            opts=child,
        )
        return role, policy
