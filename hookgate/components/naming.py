"""Physical names: `webhooks-<part>-<stack>`, unique per stack, within AWS's length limits.

The stack name (`pulumi.get_stack()`) makes names unique, so a review stack (`pr-123`), a
developer's stack or a second region never collides with `dev` or `prod`; `webhooks:environment`
only picks the profile. `dev` and `prod` keep the names they always had, so nothing holding data
is replaced. Names of account-global resources (IAM roles, S3 buckets, dashboards) also carry
the region. A stack name that is too long for a name, or holds characters a name cannot
(upper case, `_`, `.`), is shortened deterministically and marked with a short hash of the full
stack name, so two stacks never map to one name. A stack name that already ends like such a
mark (`-` and 8 hex digits) is marked too, so it cannot pose as another stack's shortened name.
One resource's name therefore differs between any two stacks. Names built from a subscriber's
name are the exception across stacks: `sub-a` of stack `b-dev` and `sub-a-b` of stack `dev` are
both `webhooks-sub-a-b-dev`, so two stacks in one account and region, one named like the other
with a `-`-prefix, must not have subscribers named so (within a stack the settings refuse it).

`stack_names` lists every physical name a stack's resources get, with what in the config gives
rise to it: the settings check them all for length and for uniqueness before anything is built.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

PREFIX = "webhooks"
HASH_CHARS = 8
# AWS name limits (characters) of the resources the program names.
IAM_ROLE = 64
LAMBDA_FUNCTION = 64
SQS_QUEUE = 80
S3_BUCKET = 63
SECRET = 512
LOG_GROUP = 512
DYNAMODB_TABLE = 255
SNS_TOPIC = 256
ALARM = 255
DASHBOARD = 255
API = 128
EVENT_BUS = 256
EVENT_RULE = 64
ACCOUNT_ID_CHARS = 12
# The longest region name: an account-global name (it carries the region) is checked with it,
# so a stack's names fit in whichever region it is deployed to.
LONGEST_REGION = "ap-southeast-1"
_UNSAFE = re.compile(r"[^a-z0-9-]+")
_LOOKS_SHORTENED = re.compile(rf"(^|-)[0-9a-f]{{{HASH_CHARS}}}$")


def stack_token(stack: str, budget: int) -> str:
    """The stack name as it appears in a name of at most `budget` characters for it.

    Unchanged when it is already lower-case letters, digits and `-` and fits; otherwise the
    safe part, cut to fit, plus `-` and the first characters of the stack name's SHA-256.
    """
    safe = _UNSAFE.sub("-", stack.lower()).strip("-")
    if safe == stack and len(stack) <= budget and not _LOOKS_SHORTENED.search(stack):
        return stack
    digest = hashlib.sha256(stack.encode()).hexdigest()[:HASH_CHARS]
    keep = budget - HASH_CHARS - 1
    if keep < 1:
        raise ValueError(f"no room for stack {stack!r} in {budget} characters")
    head = safe[:keep].rstrip("-")
    return f"{head}-{digest}" if head else digest


def regional(part: str, stack: str, limit: int) -> str:
    """`webhooks-<part>-<stack>`: unique within one account and region."""
    head = f"{PREFIX}-{part}-"
    return head + stack_token(stack, limit - len(head))


def account_global(part: str, stack: str, region: str, limit: int) -> str:
    """`webhooks-<part>-<stack>-<region>`: unique within the account (IAM, dashboards)."""
    head, tail = f"{PREFIX}-{part}-", f"-{region}"
    return head + stack_token(stack, limit - len(head) - len(tail)) + tail


def dashboard(stack: str, region: str) -> str:
    """`webhooks-<stack>-<region>`: dashboards are global to the account, like IAM roles."""
    tail = f"-{region}"
    return f"{PREFIX}-" + stack_token(stack, DASHBOARD - len(PREFIX) - 1 - len(tail)) + tail


def bucket_base(stack: str, region: str) -> str:
    """`webhooks-archive-<stack>`, short enough for `-<account id>-<region>` to follow within
    S3's 63 characters (bucket names are global across all accounts)."""
    return regional("archive", stack, S3_BUCKET - ACCOUNT_ID_CHARS - len(region) - 2)


def archive_bucket(stack: str, region: str, account_id: str) -> str:
    """`webhooks-archive-<stack>-<account id>-<region>`: unique across all accounts."""
    return f"{bucket_base(stack, region)}-{account_id}-{region}"


def secret_prefix(stack: str) -> str:
    """`webhooks/<stack>`: the path of the stack's provider secrets (`.../<provider>`)."""
    # Provider names are at most 32 characters; a secret name may have 512.
    return f"{PREFIX}/" + stack_token(stack, SECRET - len(PREFIX) - 2 - 32)


def bus(stack: str) -> str:
    """`webhooks-<stack>`: the stack's event bus, its only one."""
    return f"{PREFIX}-" + stack_token(stack, EVENT_BUS - len(PREFIX) - 1)


# Pulumi type tokens: the namespaces in which AWS wants a name unique (per region, or per account
# for roles, buckets and dashboards; a stack has one region).
TABLE_TYPE = "aws:dynamodb/table:Table"
QUEUE_TYPE = "aws:sqs/queue:Queue"
FUNCTION_TYPE = "aws:lambda/function:Function"
LOG_GROUP_TYPE = "aws:cloudwatch/logGroup:LogGroup"
ROLE_TYPE = "aws:iam/role:Role"
API_TYPE = "aws:apigatewayv2/api:Api"
BUS_TYPE = "aws:cloudwatch/eventBus:EventBus"
RULE_TYPE = "aws:cloudwatch/eventRule:EventRule"
TOPIC_TYPE = "aws:sns/topic:Topic"
ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD_TYPE = "aws:cloudwatch/dashboard:Dashboard"
BUCKET_TYPE = "aws:s3/bucket:Bucket"
SECRET_TYPE = "aws:secretsmanager/secret:Secret"  # noqa: S105 (a type token)
FUNCTIONS = ("ingest", "process", "publish")
QUEUES = ("queue", "dlq", "publish-dlq")
# The pipeline's own alarms (components/pipeline.py); `api-5xx` and `ingest-throttles` belong to
# the front door.
ALARMS = (
    "dlq-not-empty",
    "oldest-message-age",
    "processor-errors",
    "processor-throttles",
    "record-failures",
    "conflicts",
    "ingest-errors",
    "publish-dlq-not-empty",
    "publish-errors",
    "publish-failures",
    "publish-iterator-age",
)


@dataclass(frozen=True)
class PhysicalName:
    """One resource's physical name, and what it is (the Pulumi type) and what it is for."""

    type: str
    name: str
    what: str
    """E.g. `the DLQ of subscriber x`, for an error that says which two names meet."""


VENDED_LOGS_PREFIX = "/aws/vendedlogs/"


def access_log_group_name(api_name: str) -> str:
    """Under `/aws/vendedlogs/`: HTTP API access logs are delivered as vended logs, and CloudWatch
    Logs covers that prefix with one wildcard in the account's log resource policy instead of
    appending each log group to it until the policy's 5,120 characters are full
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-CWL.html,
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html)."""
    return f"{VENDED_LOGS_PREFIX}apigateway/{api_name}/access"


def fixed_names(stack: str, region: str, front_door: str = "httpApi") -> Iterator[PhysicalName]:
    """The names every stack has, from its name alone (`front_door`: `webhooks:api.kind`)."""
    yield PhysicalName(TABLE_TYPE, regional("events", stack, DYNAMODB_TABLE), "the events table")
    for part in QUEUES:
        yield PhysicalName(QUEUE_TYPE, regional(part, stack, SQS_QUEUE), f"the {part} queue")
    for part in FUNCTIONS:
        function = regional(part, stack, LAMBDA_FUNCTION)
        yield PhysicalName(FUNCTION_TYPE, function, f"the {part} function")
        yield PhysicalName(LOG_GROUP_TYPE, f"/aws/lambda/{function}", f"the {part} logs")
        role = account_global(part, stack, region, IAM_ROLE)
        yield PhysicalName(ROLE_TYPE, role, f"the {part} role")
    alarms = [*ALARMS, "api-5xx"]
    if front_door == "functionUrl":
        alarms.append("ingest-throttles")
    else:
        api = regional("api", stack, API)
        yield PhysicalName(API_TYPE, api, "the HTTP API")
        yield PhysicalName(LOG_GROUP_TYPE, access_log_group_name(api), "the access logs")
    for part in alarms:
        yield PhysicalName(ALARM_TYPE, regional(part, stack, ALARM), f"the {part} alarm")
    yield PhysicalName(BUS_TYPE, bus(stack), "the bus")
    yield PhysicalName(TOPIC_TYPE, regional("alarms", stack, SNS_TOPIC), "the alarm topic")
    yield PhysicalName(DASHBOARD_TYPE, dashboard(stack, region), "the dashboard")
    bucket = archive_bucket(stack, region, "0" * ACCOUNT_ID_CHARS)
    yield PhysicalName(BUCKET_TYPE, bucket, "the archive bucket")


def provider_names(provider: str, stack: str) -> Iterator[PhysicalName]:
    yield PhysicalName(
        SECRET_TYPE, f"{secret_prefix(stack)}/{provider}", f"the secret of provider {provider}"
    )


@dataclass(frozen=True)
class DestinationNames:
    """An HTTP destination's own resources' names (components/http_destination.py)."""

    function: str
    role: str
    secret: str
    state_table: str
    alarm: str


def destination_names(subscriber: str, stack: str, region: str) -> DestinationNames:
    """An HTTP destination's names; raises ValueError when the subscriber's name leaves the
    stack's no room."""
    part = f"sub-{subscriber}"
    return DestinationNames(
        function=regional(f"deliver-{subscriber}", stack, LAMBDA_FUNCTION),
        role=account_global(f"deliver-{subscriber}", stack, region, IAM_ROLE),
        secret=f"{secret_prefix(stack)}/destinations/{subscriber}",
        state_table=regional(f"{part}-state", stack, DYNAMODB_TABLE),
        alarm=regional(f"{part}-breaker-open", stack, ALARM),
    )


def subscriber_names(
    subscriber: str,
    stack: str,
    region: str,
    managed: bool,
    bus_target: bool,
    http: bool = False,
) -> Iterator[PhysicalName]:
    """A subscriber's rule, DLQ and its alarm; its queue if managed; its role for a bus target
    (whose name is checked for any target); an HTTP destination's own resources.

    Raises ValueError when the subscriber's name leaves no room for the stack's.
    """
    part = f"sub-{subscriber}"
    of = f"subscriber {subscriber}"
    yield PhysicalName(RULE_TYPE, regional(part, stack, EVENT_RULE), f"the rule of {of}")
    yield PhysicalName(QUEUE_TYPE, regional(f"{part}-dlq", stack, SQS_QUEUE), f"the DLQ of {of}")
    if managed:
        yield PhysicalName(QUEUE_TYPE, regional(part, stack, SQS_QUEUE), f"the queue of {of}")
    if not managed:
        # Any target may get a delivery role: a bus always, a queue or function when it is in
        # another account, which only the deploy knows (the stack's account). So the role's
        # name must fit for every target (ValueError here, a config error in the settings).
        role = account_global(part, stack, region, IAM_ROLE)
        if bus_target:
            yield PhysicalName(ROLE_TYPE, role, f"the role of {of}")
    alarm = regional(f"{part}-dlq-not-empty", stack, ALARM)
    yield PhysicalName(ALARM_TYPE, alarm, f"the DLQ alarm of {of}")
    if http:
        names = destination_names(subscriber, stack, region)
        yield PhysicalName(FUNCTION_TYPE, names.function, f"the deliver function of {of}")
        yield PhysicalName(LOG_GROUP_TYPE, f"/aws/lambda/{names.function}", f"the logs of {of}")
        yield PhysicalName(ROLE_TYPE, names.role, f"the deliver role of {of}")
        yield PhysicalName(SECRET_TYPE, names.secret, f"the signing secret of {of}")
        yield PhysicalName(TABLE_TYPE, names.state_table, f"the state table of {of}")
        yield PhysicalName(ALARM_TYPE, names.alarm, f"the breaker alarm of {of}")


def first_collision(
    names: Sequence[tuple[str, PhysicalName]],
) -> tuple[tuple[str, PhysicalName], tuple[str, PhysicalName]] | None:
    """The first two (origin, name) pairs that give two resources of one type one name."""
    seen: dict[tuple[str, str], tuple[str, PhysicalName]] = {}
    for origin, name in names:
        key = (name.type, name.name)
        if key in seen:
            return seen[key], (origin, name)
        seen[key] = (origin, name)
    return None
