"""prod provider secrets (issue 24, finding 5): protected, recoverable for 30 days, and still
an operator can rename, remove, re-add a provider and recreate a stack (docs/deploying.md).

What the program can tell, it refuses; the rest is the documented procedure.
"""

from typing import Any

import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import parse_settings
from tests.components.mockstack import built_stack, example_secrets, run_stack, stack_config
from tests.components.test_settings import minimal
from tests.ops.program.test_aws_limits import accepts, member

SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"


def _prod(providers: dict[str, Any]) -> Any:
    config = stack_config("prod")
    config["webhooks:providers"] = providers
    return run_stack("prod", config=config, secrets=example_secrets(config))


def test_a_renamed_provider_keeps_its_secret() -> None:
    before = built_stack("prod")
    providers = dict(stack_config("prod")["webhooks:providers"])
    acme = providers.pop("acme")
    after = _prod({**providers, "acme-billing": {**acme, "renamedFrom": "acme"}})
    old = before.one(SECRET, "webhooks-api-secret-acme")
    new = after.one(SECRET, "webhooks-api-secret-acme-billing")
    # Same name in AWS (no replacement), the former logical name as an alias (an update).
    assert new.inputs["name"] == old.inputs["name"] == "webhooks/prod/acme"
    assert old.urn in new.aliases
    assert new.protect is True
    old_value = before.one(VERSION, "webhooks-api-secret-acme-value")
    assert old_value.urn in after.one(VERSION, "webhooks-api-secret-acme-billing-value").aliases
    # The route and the outputs use the new name; the ingest function reads the kept secret.
    assert after.outputs["provider_secret_arns"]["acme-billing"] == new.state["arn"]
    assert "acme" not in after.outputs["providers"]
    assert "renamedFrom" not in after.outputs["provider_options"]["acme-billing"]


def test_a_new_secret_generation_names_a_new_secret() -> None:
    providers = dict(stack_config("prod")["webhooks:providers"])
    providers["github"] = {**providers["github"], "secretGeneration": 2}
    stack = _prod(providers)
    name = stack.one(SECRET, "webhooks-api-secret-github").inputs["name"]
    assert name == "webhooks/prod/github/2"
    accepts(member("secretsmanager", "CreateSecret", "Name"), name)
    assert stack.one(SECRET, "webhooks-api-secret-stripe").inputs["name"] == "webhooks/prod/stripe"


def _parse(providers: dict[str, Any]) -> Any:
    raw = minimal(providers=providers, secrets={name: "s3cr3t" for name in providers})
    return parse_settings(raw).providers


def test_rename_and_generation_compose() -> None:
    [p] = _parse({"gh": {"scheme": "github", "renamedFrom": "github", "secretGeneration": 3}})
    assert p.secret_path == "github/3"
    assert p.handler_options() == {"scheme": "github"}


@pytest.mark.parametrize(
    ("providers", "key", "value", "allowed"),
    [
        # Two providers would claim one secret.
        (
            {"github": {"scheme": "github"}, "gh": {"scheme": "github", "renamedFrom": "github"}},
            "webhooks:providers.gh.renamedFrom",
            "github",
            "no longer in",
        ),
        (
            {
                "a": {"scheme": "github", "renamedFrom": "old"},
                "b": {"scheme": "github", "renamedFrom": "old"},
            },
            "webhooks:providers.b.renamedFrom",
            "old",
            "no other provider claims",
        ),
        (
            {"a": {"scheme": "github", "renamedFrom": "a"}},
            "webhooks:providers.a.renamedFrom",
            "a",
            "not its own",
        ),
        (
            {"a": {"scheme": "github", "renamedFrom": "Old_Name"}},
            "webhooks:providers.a.renamedFrom",
            "Old_Name",
            "lower-case",
        ),
        (
            {"a": {"scheme": "github", "secretGeneration": 0}},
            "webhooks:providers.a.secretGeneration",
            0,
            "from 1 to 999",
        ),
        (
            {"a": {"scheme": "github", "secretGeneration": "2"}},
            "webhooks:providers.a.secretGeneration",
            "2",
            "from 1 to 999",
        ),
    ],
)
def test_what_would_strand_an_operator_is_refused(
    providers: dict[str, Any], key: str, value: Any, allowed: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        _parse(providers)
    assert raised.value.key == key
    assert raised.value.value == value
    assert allowed in raised.value.allowed


def test_prod_secrets_stay_protected_and_recoverable() -> None:
    for secret in built_stack("prod").of_type(SECRET):
        assert secret.protect is True
        assert secret.inputs["recoveryWindowInDays"] == 30
