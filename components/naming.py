"""Physical names: `webhooks-<part>-<stack>`, unique per stack, within AWS's length limits.

The stack name (`pulumi.get_stack()`) makes names unique, so a review stack (`pr-123`), a
developer's stack or a second region never collides with `dev` or `prod`; `webhooks:environment`
only picks the profile. `dev` and `prod` keep the names they always had, so nothing holding data
is replaced. Names of account-global resources (IAM roles, S3 buckets, dashboards) also carry
the region. A stack name that is too long for a name, or holds characters a name cannot
(upper case, `_`, `.`), is shortened deterministically and marked with a short hash of the full
stack name, so two stacks never map to one name.
"""

from __future__ import annotations

import hashlib
import re

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
ACCOUNT_ID_CHARS = 12
_UNSAFE = re.compile(r"[^a-z0-9-]+")


def stack_token(stack: str, budget: int) -> str:
    """The stack name as it appears in a name of at most `budget` characters for it.

    Unchanged when it is already lower-case letters, digits and `-` and fits; otherwise the
    safe part, cut to fit, plus `-` and the first characters of the stack name's SHA-256.
    """
    safe = _UNSAFE.sub("-", stack.lower()).strip("-")
    if safe == stack and len(stack) <= budget:
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


def secret_prefix(stack: str) -> str:
    """`webhooks/<stack>`: the path of the stack's provider secrets (`.../<provider>`)."""
    # Provider names are at most 32 characters; a secret name may have 512.
    return f"{PREFIX}/" + stack_token(stack, SECRET - len(PREFIX) - 2 - 32)


def regional_bare(stack: str, limit: int) -> str:
    """`webhooks-<stack>`: for a resource that is the stack's only one of its kind (the bus)."""
    return f"{PREFIX}-" + stack_token(stack, limit - len(PREFIX) - 1)
