"""Run the real Pulumi program (`__main__.py`) under Pulumi's mock runtime, without a network.

    from tests.components.mockstack import run_stack
    stack = run_stack("dev")          # config from Pulumi.dev.yaml + example secrets
    stack.outputs["queue_url"]        # resolved stack outputs, as `pulumi stack output --json`
    stack.one("aws:sqs/queue:Queue", "webhooks-queue-queue").inputs

The run itself is `local.mockrun` (the harness the local stack runs the program with too), with
the mocks of `local.awsmocks` that answer like AWS would (ARNs, queue URLs, invoke URLs) with a
fixed account and the stack's `aws:region` (`python -m ops preflight` runs them too), so every
run records the same graph.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from local.awsmocks import ACCOUNT_ID, REGION, AwsMocks
from local.mockrun import MockedResource, MockedStack, run_program
from webhooks import schemes

__all__ = [
    "ACCOUNT_ID",
    "REGION",
    "AwsMocks",
    "MockedResource",
    "MockedStack",
    "built_stack",
    "example_secrets",
    "run_stack",
]

PROJECT_DIR = Path(__file__).resolve().parents[2]
PROJECT = "webhooks"


def stack_config(stack: str) -> dict[str, Any]:
    """The `config:` block of Pulumi.<stack>.yaml (key → parsed YAML value)."""
    path = PROJECT_DIR / f"Pulumi.{stack}.yaml"
    return dict(yaml.safe_load(path.read_text())["config"])


def example_secrets(config: Mapping[str, Any]) -> dict[str, str]:
    """A known, fake signing secret per configured provider, in its scheme's format."""
    secrets = {}
    for name, options in config[f"{PROJECT}:providers"].items():
        scheme = schemes.get(options["scheme"])
        secrets[name] = scheme.development_secret(f"test-secret-{name}".encode())
    return secrets


def run_stack(
    stack: str,
    secrets: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> MockedStack:
    """Run `__main__.py` for `stack` under mocks and return its graph and outputs.

    `config` replaces the stack file's config (full keys, e.g. "webhooks:environment");
    `secrets` defaults to `example_secrets`. Config errors propagate as raised by the program.
    """
    values = dict(stack_config(stack) if config is None else config)
    if secrets is None:
        secrets = example_secrets(values)
    values[f"{PROJECT}:secrets"] = dict(secrets)
    pulumi_config = {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()
    }
    return run_program(
        PROJECT_DIR,
        project=PROJECT,
        stack=stack,
        config=pulumi_config,
        secret_keys=[f"{PROJECT}:secrets"],
        aws=AwsMocks(values.get("aws:region", REGION)),
    )


DOMAIN = "hooks.example.com"
CERTIFICATE_ARN = (
    f"arn:aws:acm:{REGION}:{ACCOUNT_ID}:certificate/11111111-2222-3333-4444-555555555555"
)
HOSTED_ZONE_ID = "Z0123456789EXAMPLE"


def _with(stack_file: str, **changes: Any) -> dict[str, Any]:
    """A stack file's config with some top-level keys merged (objects) or replaced."""
    config = stack_config(stack_file)
    for key, value in changes.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        current = config.get(full)
        config[full] = {**current, **value} if isinstance(current, dict) else value
    return config


# The four subscribers of the delivery issue: managed with type prefixes, managed with a
# payload filter, everything, and an existing bus in another account.
SUBSCRIBERS: dict[str, Any] = {
    "billing": {"providers": ["stripe"], "eventTypes": ["invoice.*", "customer.subscription.*"]},
    "ci": {
        "providers": ["github"],
        "eventTypes": ["push", "pull_request"],
        "payload": {"repository.full_name": ["acme/api"]},
    },
    "everything": {},
    "central": {"target": "arn:aws:events:eu-west-1:210987654321:event-bus/central"},
}


# Graphs beyond the two stack files: name → (Pulumi stack name, its config).
SCENARIOS: dict[str, tuple[str, Any]] = {
    "dev": ("dev", lambda: stack_config("dev")),
    "prod": ("prod", lambda: stack_config("prod")),
    # A review stack: Pulumi.dev.yaml copied (the dev profile), in the same account and region.
    "pr-123": ("pr-123", lambda: stack_config("dev")),
    # prod again in a second region (disaster recovery), same stack name and account.
    "prod-us-east-1": ("prod", lambda: _with("prod", **{"aws:region": "us-east-1"})),
    "subscribers": ("dev", lambda: _with("dev", subscribers=SUBSCRIBERS)),
    "domain-certificate": (
        "dev",
        lambda: _with("dev", api={"domainName": DOMAIN, "certificateArn": CERTIFICATE_ARN}),
    ),
    "domain-zone": (
        "prod",
        lambda: _with("prod", api={"domainName": DOMAIN, "hostedZoneId": HOSTED_ZONE_ID}),
    ),
    # The function URL front door (api.kind functionUrl) on the prod profile.
    "function-url": ("prod", lambda: function_url_config("prod")),
    # Every optional feature at once (the HTTP API with a custom domain, or the function URL,
    # which takes no domain): what the IAM and deploy-policy checks must cover.
    "every-feature": ("prod", lambda: every_feature_config("prod")),
    "every-feature-url": ("dev", lambda: every_feature_config("dev", front_door="functionUrl")),
}

# A subscriber of every target kind: managed queues (one filtering on the payload, so the
# publisher carries match paths and reads archived bodies), an SQS queue and a FIFO queue of
# the account, a Lambda function, a bus of the account and a bus of another account; and an
# HTTP destination in a VPC (its deliver function, state table, secret and VPC attachment).
EVERY_TARGET: dict[str, Any] = {
    **SUBSCRIBERS,
    "audit": {"target": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:audit-events"},
    "orders": {"providers": ["stripe"], "target": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:orders.fifo"},
    "notify": {"target": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:notify-team"},
    "analytics": {"target": f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/analytics"},
    "partner": {
        "providers": ["stripe"],
        "http": {
            "url": "https://partner.internal.example.com/webhooks",
            "vpc": {
                "subnetIds": ["subnet-0123456789abcdef0"],
                "securityGroupIds": ["sg-0123456789abcdef0"],
            },
        },
    },
}


def every_feature_config(stack_file: str, front_door: str = "httpApi") -> dict[str, Any]:
    """A stack file's config with every optional feature: subscribers of every target kind,
    an inline limit above what always fits an entry (the publisher archives), alarm e-mail,
    and the custom domain (HTTP API) or the function URL front door."""
    config = (
        function_url_config(stack_file)
        if front_door == "functionUrl"
        else _with(stack_file, api={"domainName": DOMAIN, "hostedZoneId": HOSTED_ZONE_ID})
    )
    config[f"{PROJECT}:subscribers"] = EVERY_TARGET
    ingest = config.get(f"{PROJECT}:ingest") or {}
    config[f"{PROJECT}:ingest"] = {**ingest, "inlineBodyLimit": 200 * 1024}
    alarms = config.get(f"{PROJECT}:alarms") or {}
    config[f"{PROJECT}:alarms"] = {**alarms, "email": "oncall@example.com"}
    return config


def function_url_config(stack_file: str) -> dict[str, Any]:
    """A stack file's config with `api.kind: functionUrl` (the stage throttling keys dropped:
    they do not apply) and the reserved concurrency that mode requires."""
    config = stack_config(stack_file)
    config[f"{PROJECT}:api"] = {"kind": "functionUrl"}
    ingest = config.get(f"{PROJECT}:ingest") or {}
    config[f"{PROJECT}:ingest"] = {"reservedConcurrency": 20, **ingest}
    return config


@functools.cache
def built_stack(scenario: str) -> MockedStack:
    """The graph of a `SCENARIOS` entry, built once per process (the tests share it read-only)."""
    stack, config = SCENARIOS[scenario]
    return run_stack(stack, config=config())
