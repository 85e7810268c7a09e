"""The pipeline's safety rules as plain functions over plain resources (type + props).

The policy pack (`policy/__main__.py`) wraps each rule in a CrossGuard policy; the tests run the
same functions over the mocked graph of each stack (`tests/policy`), and the graph tests in
`tests/components/test_graph.py` call them where they check the same rule: one source of truth.

A rule only reads `Mapping`/`Sequence` values, so it works both on plain dicts and on the
proxies CrossGuard hands a policy (which raise on values unknown during a preview; CrossGuard
then reports the policy as not run for that resource instead of failing it).

Resource rules see a resource's *inputs*; stack rules see every resource's *outputs* (inputs plus
what AWS computed: ARNs, URLs), as in CrossGuard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

try:  # the project: tests, `python -m ops preflight`
    from policy import iam_check
except ImportError:  # the pack: Pulumi runs policy/ as a folder of scripts (see __main__.py)
    import iam_check  # type: ignore[import-not-found, no-redef]

QUEUE = "aws:sqs/queue:Queue"
REDRIVE_POLICY = "aws:sqs/redrivePolicy:RedrivePolicy"
TABLE = "aws:dynamodb/table:Table"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
)
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TOPIC = "aws:sns/topic:Topic"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_POLICY = "aws:iam/policy:Policy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FUNCTION = "aws:lambda/function:Function"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
HTTP_API = "aws:apigatewayv2/api:Api"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
SECRETS_MANAGER_SECRET = "aws:secretsmanager/secret:Secret"  # noqa: S105 (a type token)
SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy"  # noqa: S105 (a type token)
QUEUE_POLICY = "aws:sqs/queuePolicy:QueuePolicy"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"

# What reading a value unknown during a preview raises; the pack sets CrossGuard's
# `UnknownValueError` here, so a rule can skip one unknown value and check the rest.
UNKNOWN_VALUE_ERRORS: tuple[type[Exception], ...] = ()

# AWS defaults when a property is not set.
SQS_DEFAULT_RETENTION_SECONDS = 345_600
SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30
LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3
# AWS guidance for SQS event sources: visibility >= 6 x function timeout + batching window.
VISIBILITY_TO_TIMEOUT_RATIO = 6
BUCKET_ENCRYPTION_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
PROD_PROFILES = ("prod",)


@dataclass(frozen=True, eq=False)
class Resource:
    """One resource as a policy sees it: its type, props and the options that matter here."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    protect: bool = False
    dependencies: tuple[str, ...] = field(default_factory=tuple)


class Violation(NamedTuple):
    message: str
    urn: str | None = None


ResourceCheck = Callable[[Resource], list[str]]
StackCheck = Callable[[Sequence[Resource]], list[Violation]]


@dataclass(frozen=True)
class ResourceRule:
    name: str
    description: str
    types: frozenset[str]
    check: ResourceCheck


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    check: StackCheck


# ---- helpers ----


def _json(value: Any) -> Any:
    """A JSON document given as text (as the program passes policies) or already parsed."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def _of_type(resources: Sequence[Resource], type_: str) -> list[Resource]:
    return [r for r in resources if r.type == type_]


def _refers_to(resource: Resource, target: Resource, value: Any, *keys: str) -> bool:
    """`value` names `target` (by one of its `keys` props), or `resource` depends on it."""
    for key in keys:
        known = target.props.get(key)
        if known is not None and value == known:
            return True
    return bool(target.urn) and target.urn in resource.dependencies


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return []
    return [s for s in iam_check.as_list(document.get("Statement")) if isinstance(s, Mapping)]


# ---- resource rules: encryption at rest ----


def table_encrypted(resource: Resource) -> list[str]:
    sse = resource.props.get("serverSideEncryption")
    if not isinstance(sse, Mapping) or sse.get("enabled") is not True:
        return [f"DynamoDB table {resource.name}: set serverSideEncryption.enabled = true"]
    return []


def queue_encrypted(resource: Resource) -> list[str]:
    props = resource.props
    if props.get("sqsManagedSseEnabled") is True or props.get("kmsMasterKeyId"):
        return []
    return [f"SQS queue {resource.name}: set sqsManagedSseEnabled = true or a kmsMasterKeyId"]


# ---- resource rules: IAM ----

# A wildcard is acceptable only where it narrows to this stack's own resource: objects under a
# key prefix of one bucket (`arn:aws:s3:::bucket/prefix/*`) or the log streams of one log group
# (`arn:aws:logs:<region>:<account>:log-group:<name>:*`).
_S3_PREFIX = re.compile(r"^arn:aws[\w-]*:s3:::[a-z0-9][a-z0-9.-]+/[^*]+/\*$")
_LOG_STREAMS = re.compile(r"^arn:aws[\w-]*:logs:[a-z0-9-]+:\d{12}:log-group:[^*]+:\*$")


def iam_wildcards(document: Any) -> list[str]:
    """What is too wide in an IAM policy document: `*` actions or resources in Allow statements."""
    problems = []
    for index, statement in enumerate(_statements(_json(document))):
        if statement.get("Effect") != "Allow":
            continue
        where = f"statement {statement.get('Sid') or index}"
        for key in ("NotAction", "NotResource"):
            if key in statement:
                problems.append(f"{where}: {key} in an Allow statement grants everything else")
        for action in iam_check.as_list(statement.get("Action")):
            if not isinstance(action, str) or "*" in action:
                problems.append(f"{where}: action {action!r} has a wildcard; name each action")
        # An action without resource-level permissions is granted on `*` or not at all.
        unscoped = iam_check.unscoped_only(iam_check.as_list(statement.get("Action")))
        for arn in iam_check.as_list(statement.get("Resource")):
            if not isinstance(arn, str) or (arn == "*" and unscoped):
                continue
            if "*" in arn and not (_S3_PREFIX.match(arn) or _LOG_STREAMS.match(arn)):
                problems.append(f"{where}: resource {arn!r} has a wildcard; name the resource")
    return problems


def iam_least_privilege(resource: Resource) -> list[str]:
    key = "assumeRolePolicy" if resource.type == ROLE else "policy"
    document = resource.props.get(key)
    if document is None:
        return []
    return [f"{resource.name}: {problem}" for problem in iam_wildcards(document)]


# The policy documents of each type: (prop, what it is). A Lambda permission is one statement
# of the function's resource policy, given as props.
POLICY_DOCUMENTS = {
    ROLE: "assumeRolePolicy",
    ROLE_POLICY: "policy",
    IAM_POLICY: "policy",
    QUEUE_POLICY: "policy",
    BUCKET_POLICY: "policy",
    SECRET_POLICY: "policy",
}


def _permission_statement(props: Mapping[str, Any]) -> dict[str, Any]:
    """A `lambda.Permission` as the statement Lambda adds to the function's policy."""
    function = props.get("function")
    if isinstance(function, str) and not function.startswith("arn:"):
        function = f"arn:aws:lambda:*:*:function:{function}"  # a name: region and account later
    return {"Effect": "Allow", "Action": props.get("action"), "Resource": function}


def iam_service_reference(resource: Resource) -> list[str]:
    """Actions exist, resources match a type each action supports, unscoped actions get `*`
    (iam_check: the Service Authorization Reference)."""
    if resource.type == LAMBDA_PERMISSION:
        problems = iam_check.statement_problems(_permission_statement(resource.props))
    else:
        document = resource.props.get(POLICY_DOCUMENTS.get(resource.type, "policy"))
        if document is None:
            return []
        problems = iam_check.document_problems(_json(document))
    return [f"{resource.name}: {problem}" for problem in problems]


# ---- resource rules: logs, Lambda environment, event source mappings ----


def log_group_retention(resource: Resource) -> list[str]:
    days = resource.props.get("retentionInDays")
    if not isinstance(days, int | float) or isinstance(days, bool) or days <= 0:
        return [f"log group {resource.name}: set retentionInDays (logs are kept forever without)"]
    return []


# Formats of real credentials, and names of variables that would hold one.
SECRET_VALUE_PATTERNS = (
    re.compile(r"whsec_[A-Za-z0-9+/=]{8,}"),  # Stripe / Standard Webhooks signing secrets
    re.compile(r"\b[sr]k_(live|test)_[A-Za-z0-9]{8,}"),  # Stripe API keys
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),  # GitHub tokens
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),  # Slack tokens
    re.compile(r"\bshp(ss|at|ca|pa)_[A-Fa-f0-9]{16,}"),  # Shopify secrets and tokens
    re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
)
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.I)
# A variable named like a secret may hold where the secret is, not the secret itself.
REFERENCE_NAME = re.compile(r"(_ARN|_ARNS|_NAME|_ID|_HEADER|_URL)$", re.I)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
        try:
            parsed = json.loads(value)
        except ValueError:
            return
        if not isinstance(parsed, str):
            yield from _strings(parsed)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key)
            yield from _strings(inner)
    elif isinstance(value, Sequence):
        for inner in value:
            yield from _strings(inner)


def lambda_environment_secrets(resource: Resource) -> list[str]:
    environment = resource.props.get("environment")
    variables = environment.get("variables") if isinstance(environment, Mapping) else None
    if not isinstance(variables, Mapping):
        return []
    problems = []
    for name in variables:
        try:
            value = variables[name]
            texts = list(_strings(value))
        except UNKNOWN_VALUE_ERRORS:
            continue  # computed by another resource (an ARN, a URL): known, and checked, at `up`
        if any(p.search(text) for text in texts for p in SECRET_VALUE_PATTERNS):
            problems.append(
                f"function {resource.name}: {name} holds a value that looks like a secret"
            )
        # A number (a refresh interval, a length) or an ARN is not the secret itself.
        elif (
            SECRET_NAME.search(name)
            and not REFERENCE_NAME.search(name)
            and isinstance(value, str)
            and not (value.isdigit() or value.startswith("arn:"))
        ):
            problems.append(
                f"function {resource.name}: {name} looks like a secret; pass its Secrets"
                " Manager ARN and read it at run time"
            )
    return problems


KEY_ORIGIN_OVERRIDE = "key_origin"
"""A provider option that points a public-key scheme's key fetches at the local stack's own key
server (hookgate/handlers/webhooks/keys.py): test-only, never deployed."""


def no_key_origin_override(resource: Resource) -> list[str]:
    """A function whose `PROVIDERS` sets `key_origin` would fetch senders' keys from wherever
    it names: refused, whatever the program's own check said."""
    environment = resource.props.get("environment")
    variables = environment.get("variables") if isinstance(environment, Mapping) else None
    if not isinstance(variables, Mapping):
        return []
    try:
        text = variables.get("PROVIDERS")
    except UNKNOWN_VALUE_ERRORS:
        return []
    try:
        providers = _json(text) if isinstance(text, str) else None
    except ValueError:
        return []  # not the program's JSON: the function itself refuses it at start
    if not isinstance(providers, Mapping):
        return []
    return [
        f"function {resource.name}: provider {name!r} sets {KEY_ORIGIN_OVERRIDE} (a test-only"
        " override of where sender keys are fetched; the local stack only)"
        for name, options in providers.items()
        if isinstance(options, Mapping) and KEY_ORIGIN_OVERRIDE in options
    ]


def reports_batch_item_failures(resource: Resource) -> list[str]:
    source = resource.props.get("eventSourceArn")
    if isinstance(source, str) and not source.startswith("arn:aws:sqs:"):
        return []  # not an SQS mapping
    if "ReportBatchItemFailures" not in iam_check.as_list(
        resource.props.get("functionResponseTypes")
    ):
        return [
            f"event source mapping {resource.name}: set functionResponseTypes ="
            " ['ReportBatchItemFailures'] so one bad message does not re-run its whole batch"
        ]
    return []


# ---- stack rules ----


def topics_encrypted(resources: Sequence[Resource]) -> list[Violation]:
    """SNS topics use KMS, except topics CloudWatch alarms publish to: alarms cannot publish to a
    topic encrypted with the AWS-managed `aws/sns` key (and alarm messages carry no event data)."""
    alarms = _of_type(resources, METRIC_ALARM)
    violations = []
    for topic in _of_type(resources, TOPIC):
        if topic.props.get("kmsMasterKeyId"):
            continue
        alarm_target = any(
            any(
                _refers_to(alarm, topic, action, "arn", "id")
                for key in ("alarmActions", "okActions", "insufficientDataActions")
                for action in iam_check.as_list(alarm.props.get(key))
            )
            for alarm in alarms
        )
        if not alarm_target:
            violations.append(
                Violation(f"SNS topic {topic.name}: set kmsMasterKeyId", topic.urn or None)
            )
    return violations


def _bucket_parts(resources: Sequence[Resource], bucket: Resource, type_: str) -> list[Resource]:
    return [
        part
        for part in _of_type(resources, type_)
        if _refers_to(part, bucket, part.props.get("bucket"), "bucket", "id")
    ]


def buckets_encrypted(resources: Sequence[Resource]) -> list[Violation]:
    violations = []
    for bucket in _of_type(resources, BUCKET):
        algorithms = [
            (rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")
            for config in _bucket_parts(resources, bucket, BUCKET_ENCRYPTION)
            for rule in iam_check.as_list(config.props.get("rules"))
            if isinstance(rule, Mapping)
        ]
        if not any(a in BUCKET_ENCRYPTION_ALGORITHMS for a in algorithms):
            violations.append(
                Violation(
                    f"bucket {bucket.name}: add a BucketServerSideEncryptionConfiguration with"
                    f" sseAlgorithm one of {', '.join(BUCKET_ENCRYPTION_ALGORITHMS)}",
                    bucket.urn or None,
                )
            )
    return violations


PUBLIC_ACCESS_FLAGS = (
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
)


def _denies_insecure_transport(policy: Any, bucket_arn: str | None) -> bool:
    for statement in _statements(_json(policy)):
        condition = statement.get("Condition") or {}
        secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
        if statement.get("Effect") != "Deny" or str(secure).lower() != "false":
            continue
        if iam_check.as_list(statement.get("Action")) not in (["s3:*"], ["*"]):
            continue
        covered = set(iam_check.as_list(statement.get("Resource")))
        if bucket_arn is None or {bucket_arn, f"{bucket_arn}/*"} <= covered:
            return True
    return False


def buckets_private_tls_only(resources: Sequence[Resource]) -> list[Violation]:
    violations = []
    for bucket in _of_type(resources, BUCKET):
        blocks = _bucket_parts(resources, bucket, BUCKET_PUBLIC_ACCESS_BLOCK)
        if not any(all(b.props.get(flag) is True for flag in PUBLIC_ACCESS_FLAGS) for b in blocks):
            violations.append(
                Violation(
                    f"bucket {bucket.name}: add a BucketPublicAccessBlock with"
                    f" {', '.join(PUBLIC_ACCESS_FLAGS)} all true",
                    bucket.urn or None,
                )
            )
        arn = bucket.props.get("arn")
        policies = _bucket_parts(resources, bucket, BUCKET_POLICY)
        if not any(_denies_insecure_transport(p.props.get("policy"), arn) for p in policies):
            violations.append(
                Violation(
                    f"bucket {bucket.name}: add a bucket policy denying s3:* on the bucket and"
                    " its objects when aws:SecureTransport is false",
                    bucket.urn or None,
                )
            )
    return violations


def _redrive_target(queue: Resource, resources: Sequence[Resource]) -> Any:
    policy = queue.props.get("redrivePolicy")
    if not policy:
        for redrive in _of_type(resources, REDRIVE_POLICY):
            if _refers_to(redrive, queue, redrive.props.get("queueUrl"), "url", "id"):
                policy = redrive.props.get("redrivePolicy")
    if not policy:
        return None
    return (_json(policy) or {}).get("deadLetterTargetArn")


def _other_dlq_arns(resources: Sequence[Resource]) -> list[Any]:
    arns = []
    for mapping in _of_type(resources, EVENT_SOURCE_MAPPING):
        destination = (mapping.props.get("destinationConfig") or {}).get("onFailure") or {}
        arns.append(destination.get("destinationArn"))
    for target in _of_type(resources, EVENT_TARGET):
        arns.append((target.props.get("deadLetterConfig") or {}).get("arn"))
    return [arn for arn in arns if arn]


def queues_have_dlq(resources: Sequence[Resource]) -> list[Violation]:
    """Every queue that is not itself a DLQ redrives to a DLQ that keeps messages longer.

    SQS keeps a message's original enqueue time when it moves to the DLQ, so a DLQ that keeps
    less than the queue drops redriven messages early."""
    queues = _of_type(resources, QUEUE)
    by_arn = {q.props.get("arn"): q for q in queues if q.props.get("arn")}
    targets = [_redrive_target(q, resources) for q in queues]
    dlqs = {id(by_arn[arn]) for arn in targets if arn in by_arn}
    # Queues that are dead-letter queues of something else: a stream mapping's on-failure
    # destination, an EventBridge rule target's DLQ.
    for arn in _other_dlq_arns(resources):
        if arn in by_arn:
            dlqs.add(id(by_arn[arn]))
    violations = []
    for queue, arn in zip(queues, targets, strict=True):
        if id(queue) in dlqs:
            continue
        if not arn:
            violations.append(
                Violation(
                    f"SQS queue {queue.name}: set a redrivePolicy to a DLQ", queue.urn or None
                )
            )
            continue
        dlq = by_arn.get(arn)
        if dlq is None:
            continue  # a DLQ outside this stack: its retention cannot be checked here
        kept = dlq.props.get("messageRetentionSeconds") or SQS_DEFAULT_RETENTION_SECONDS
        own = queue.props.get("messageRetentionSeconds") or SQS_DEFAULT_RETENTION_SECONDS
        if kept <= own:
            violations.append(
                Violation(
                    f"SQS queue {queue.name}: its DLQ {dlq.name} keeps messages {kept:g} s, not"
                    f" longer than the queue ({own:g} s); redriven messages would expire early",
                    queue.urn or None,
                )
            )
    return violations


def visibility_covers_consumer(resources: Sequence[Resource]) -> list[Violation]:
    """For each SQS event source mapping: the queue's visibility timeout >= 6 x the function's
    timeout + the mapping's batching window (AWS guidance), so a message is not redelivered
    while a batch holding it is still being processed."""
    queues = {q.props.get("arn"): q for q in _of_type(resources, QUEUE) if q.props.get("arn")}
    functions = _of_type(resources, FUNCTION)
    violations = []
    for mapping in _of_type(resources, EVENT_SOURCE_MAPPING):
        queue = queues.get(mapping.props.get("eventSourceArn"))
        target = mapping.props.get("functionName")
        function = next(
            (f for f in functions if target in (f.props.get("arn"), f.props.get("name"))), None
        )
        if queue is None or function is None:
            continue  # not an SQS mapping of this stack
        timeout = function.props.get("timeout") or LAMBDA_DEFAULT_TIMEOUT_SECONDS
        window = mapping.props.get("maximumBatchingWindowInSeconds") or 0
        visibility = (
            queue.props.get("visibilityTimeoutSeconds") or SQS_DEFAULT_VISIBILITY_TIMEOUT_SECONDS
        )
        needed = VISIBILITY_TO_TIMEOUT_RATIO * timeout + window
        if visibility < needed:
            violations.append(
                Violation(
                    f"SQS queue {queue.name}: visibilityTimeoutSeconds {visibility:g} is below"
                    f" {VISIBILITY_TO_TIMEOUT_RATIO} x {function.name} timeout ({timeout:g} s)"
                    f" + batching window ({window:g} s) = {needed:g}",
                    queue.urn or None,
                )
            )
    return violations


def http_integrations_payload_v2(resources: Sequence[Resource]) -> list[Violation]:
    apis = [a for a in _of_type(resources, HTTP_API) if a.props.get("protocolType") == "HTTP"]
    violations = []
    for integration in _of_type(resources, INTEGRATION):
        api_id = integration.props.get("apiId")
        if not any(_refers_to(integration, api, api_id, "id") for api in apis):
            continue
        if integration.props.get("payloadFormatVersion") != "2.0":
            violations.append(
                Violation(
                    f"integration {integration.name}: set payloadFormatVersion = '2.0' (the"
                    " handlers read the HTTP API 2.0 event)",
                    integration.urn or None,
                )
            )
    return violations


def profile(resources: Sequence[Resource]) -> str | None:
    """The stack's profile: the `environment` tag its resources carry (one value, else None)."""
    values = {
        r.props["tags"].get("environment")
        for r in resources
        if isinstance(r.props.get("tags"), Mapping) and r.props["tags"].get("environment")
    }
    return values.pop() if len(values) == 1 else None


def prod_protections(resources: Sequence[Resource]) -> list[Violation]:
    """In a prod-profile stack: tables deletion-protected in AWS and Pulumi with PITR, buckets
    not force-destroyed, secrets recoverable after deletion."""
    if profile(resources) not in PROD_PROFILES:
        return []
    violations = []
    for table in _of_type(resources, TABLE):
        pitr = table.props.get("pointInTimeRecovery") or {}
        if table.props.get("deletionProtectionEnabled") is not True:
            violations.append(
                Violation(f"table {table.name}: deletionProtectionEnabled", table.urn)
            )
        if not table.protect:
            violations.append(Violation(f"table {table.name}: protect it in Pulumi", table.urn))
        if not (isinstance(pitr, Mapping) and pitr.get("enabled") is True):
            violations.append(Violation(f"table {table.name}: pointInTimeRecovery", table.urn))
    for bucket in _of_type(resources, BUCKET):
        if bucket.props.get("forceDestroy") is True:
            violations.append(Violation(f"bucket {bucket.name}: forceDestroy in prod", bucket.urn))
    for secret in _of_type(resources, SECRETS_MANAGER_SECRET):
        if secret.props.get("recoveryWindowInDays") == 0:
            violations.append(
                Violation(f"secret {secret.name}: recoveryWindowInDays 0 in prod", secret.urn)
            )
    return violations


RESOURCE_RULES = (
    ResourceRule(
        "table-encrypted",
        "DynamoDB tables are encrypted at rest (serverSideEncryption enabled).",
        frozenset({TABLE}),
        table_encrypted,
    ),
    ResourceRule(
        "queue-encrypted",
        "SQS queues are encrypted at rest (SQS-managed SSE or KMS).",
        frozenset({QUEUE}),
        queue_encrypted,
    ),
    ResourceRule(
        "iam-no-wildcards",
        "No IAM Allow statement with a `*` action or a `*` resource (beyond an object prefix or"
        " a log group's streams).",
        frozenset({ROLE, ROLE_POLICY, IAM_POLICY}),
        iam_least_privilege,
    ),
    ResourceRule(
        "iam-service-reference",
        "Every IAM statement is one AWS accepts (Service Authorization Reference): each action"
        " exists, each resource is of a type the action supports, and an action without"
        " resource-level permissions is granted on `*`.",
        frozenset(POLICY_DOCUMENTS) | {LAMBDA_PERMISSION},
        iam_service_reference,
    ),
    ResourceRule(
        "log-group-retention",
        "Log groups have a retention period.",
        frozenset({LOG_GROUP}),
        log_group_retention,
    ),
    ResourceRule(
        "lambda-env-no-secrets",
        "No secret-looking value in a Lambda environment (pass a Secrets Manager ARN instead).",
        frozenset({FUNCTION}),
        lambda_environment_secrets,
    ),
    ResourceRule(
        "no-key-origin-override",
        "No provider fetches sender keys from a test-only origin (`key_origin`, local stack only).",
        frozenset({FUNCTION}),
        no_key_origin_override,
    ),
    ResourceRule(
        "sqs-mapping-reports-batch-item-failures",
        "SQS event source mappings report batch item failures.",
        frozenset({EVENT_SOURCE_MAPPING}),
        reports_batch_item_failures,
    ),
)

STACK_RULES = (
    StackRule(
        "topic-encrypted",
        "SNS topics are KMS-encrypted, except alarm topics (CloudWatch cannot publish to aws/sns).",
        topics_encrypted,
    ),
    StackRule("bucket-encrypted", "S3 buckets have default encryption.", buckets_encrypted),
    StackRule(
        "bucket-private-tls-only",
        "S3 buckets block public access and deny requests without TLS.",
        buckets_private_tls_only,
    ),
    StackRule(
        "queue-dlq-retention",
        "Every queue redrives to a DLQ that keeps messages longer than the queue.",
        queues_have_dlq,
    ),
    StackRule(
        "visibility-timeout-covers-consumer",
        "Queue visibility timeout >= 6 x consuming function timeout + batching window.",
        visibility_covers_consumer,
    ),
    StackRule(
        "http-api-payload-v2",
        "HTTP API integrations use payload format 2.0.",
        http_integrations_payload_v2,
    ),
    StackRule(
        "prod-protections",
        "prod stacks: tables deletion-protected and protected with PITR, buckets not"
        " force-destroyed, secrets recoverable.",
        prod_protections,
    ),
)


def check_stack(resources: Sequence[Resource]) -> dict[str, list[Violation]]:
    """Every stack rule's violations (rule name → violations)."""
    return {rule.name: rule.check(resources) for rule in STACK_RULES}
