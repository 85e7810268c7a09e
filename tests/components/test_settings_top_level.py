"""A typo in a top-level `webhooks:` key is refused, not silently replaced by the default."""

import json

import pulumi
import pytest

from hookgate.components.config_error import ConfigError
from hookgate.components.settings import check_top_level_keys, load_settings
from tests.components.mockstack import AwsMocks

VALID = {
    "webhooks:environment": "dev",
    "webhooks:providers": json.dumps({"github": {"scheme": "github"}}),
    "webhooks:secrets": json.dumps({"github": "s3cr3t"}),
}


def test_a_misspelt_top_level_key_names_the_key_the_value_and_the_close_match() -> None:
    with pytest.raises(ConfigError) as error:
        check_top_level_keys({"environment": "dev", "procesor": {"timeoutSeconds": 2}})
    message = str(error.value)
    assert message.startswith("webhooks:procesor = {'timeoutSeconds': 2} is not allowed")
    assert "did you mean webhooks:processor?" in message
    assert "known keys: environment, metricsNamespace, providers," in message


def test_a_key_close_to_nothing_lists_the_known_keys_only() -> None:
    with pytest.raises(ConfigError) as error:
        check_top_level_keys({"zzz": 1})
    assert "did you mean" not in str(error.value)
    assert "known keys:" in str(error.value)


def test_the_program_refuses_a_top_level_typo_in_its_config() -> None:
    """As `pulumi up` hands config to the program (set_all_config here, as the mocks do)."""
    pulumi.runtime.set_mocks(AwsMocks(), project="webhooks", stack="dev", preview=False)
    pulumi.runtime.set_all_config({**VALID, "webhooks:procesor": '{"timeoutSeconds": 2}'}, [])
    with pytest.raises(ConfigError, match="did you mean webhooks:processor"):
        load_settings()
    pulumi.runtime.set_all_config(dict(VALID), ["webhooks:secrets"])
    assert load_settings().profile == "dev"


def test_the_program_sees_keys_from_the_engines_environment_too(monkeypatch) -> None:
    """The language host passes config in PULUMI_CONFIG: those keys are checked as well."""
    pulumi.runtime.set_mocks(AwsMocks(), project="webhooks", stack="dev", preview=False)
    pulumi.runtime.set_all_config(dict(VALID), ["webhooks:secrets"])
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"webhooks:queu": "{}", "aws:region": "x"}))
    with pytest.raises(ConfigError, match=r"webhooks:queu .*did you mean webhooks:queue"):
        load_settings()


def test_a_misspelt_secret_is_never_shown() -> None:
    """Set with `--secret`, or a near miss of `secrets`: the value stays out of the message."""
    pulumi.runtime.set_mocks(AwsMocks(), project="webhooks", stack="dev", preview=False)
    typo = {"webhooks:secrts": json.dumps({"github": "s3cr3t-value"})}
    pulumi.runtime.set_all_config({**VALID, **typo}, ["webhooks:secrets"])
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "did you mean webhooks:secrets?" in str(error.value)
    assert "s3cr3t-value" not in str(error.value)
    marked = {"webhooks:signing": json.dumps({"github": "s3cr3t-value"})}
    pulumi.runtime.set_all_config({**VALID, **marked}, ["webhooks:secrets", "webhooks:signing"])
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "webhooks:signing = '<secret>' is not allowed" in str(error.value)
