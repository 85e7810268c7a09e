"""A config the program refuses reads as a config error locally; the banner says where each
signing secret came from, and when it took over a killed stack's lock."""

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from local.__main__ import banner
from local.config import StackConfig
from local.errors import LocalConfigError
from local.stack import LocalStack

REFUSING_PROGRAM = """
    from hookgate.components.config_error import ConfigError

    raise ConfigError("webhooks:thing", 3, "1 or 2")
"""


def test_a_programs_config_error_is_a_config_error_not_a_failure_to_run(tmp_path) -> None:
    """Another program (its rules are not this repository's): judged when it runs."""
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: webhooks\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (program / "__main__.py").write_text(textwrap.dedent(REFUSING_PROGRAM))
    with pytest.raises(LocalConfigError) as raised:
        LocalStack.start(program_dir=program, state_dir=tmp_path / "state")
    assert str(raised.value) == "webhooks:thing = 3 is not allowed; allowed: 1 or 2"


def test_the_banner_says_which_secrets_were_generated(tmp_path) -> None:
    config = StackConfig(
        project="webhooks",
        stack="dev",
        region="eu-west-1",
        values={},
        dev_secrets={"github": "given-secret", "stripe": "whsec_abc"},
        secret_sources={"github": "given", "stripe": "generated"},
    )
    stack = SimpleNamespace(
        config=config,
        dev_secrets=config.dev_secrets,
        outputs={"providers": {"github": "github", "stripe": "stripe"}, "webhook_urls": {}},
        declaration={},
        state_dir=Path(tmp_path),
        endpoint_url="http://127.0.0.1:1",
        took_over="4242",
    )
    text = banner(stack)  # type: ignore[arg-type]  # the attributes banner reads
    assert "given-secret   (given; $WEBHOOKS_SECRET_GITHUB)" in text
    assert "whsec_abc   (generated; $WEBHOOKS_SECRET_STRIPE)" in text
    assert f"took over {tmp_path}/stack.lock from PID 4242, which is not running" in text


def test_every_local_option_names_its_default() -> None:
    from local.__main__ import parser

    for action in parser()._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and "default" in action.help, action.option_strings
