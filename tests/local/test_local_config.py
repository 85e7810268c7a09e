"""Stack config for the local run: stack file, `--set` overrides, development secrets."""

import json
import textwrap
from pathlib import Path

import pytest

from local.config import load, parse_override
from local.errors import LocalConfigError, LocalStackError

STACK_FILE = """
config:
  aws:region: eu-central-1
  webhooks:environment: dev
  webhooks:providers:
    github:
      scheme: github
    standard-webhooks:
      scheme: standard
  webhooks:processor:
    batchSize: 10
"""


@pytest.fixture
def program(tmp_path):
    """A copy of the program's stack files; its rules (`hookgate/components/`) are this
    repository's."""
    (tmp_path / "hookgate").symlink_to(Path(__file__).resolve().parents[2] / "hookgate")
    (tmp_path / "Pulumi.yaml").write_text("name: webhooks\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text(textwrap.dedent(STACK_FILE))
    return tmp_path


def test_parse_override_reads_json_values_else_strings():
    assert parse_override("processor.timeoutSeconds=2") == ("processor.timeoutSeconds", 2)
    assert parse_override("table.pointInTimeRecovery=false") == (
        "table.pointInTimeRecovery",
        False,
    )
    assert parse_override("logs.level=DEBUG") == ("logs.level", "DEBUG")
    assert parse_override("aws:region=us-east-1") == ("aws:region", "us-east-1")
    with pytest.raises(LocalStackError, match="key=value"):
        parse_override("processor.timeoutSeconds")


def test_stack_file_and_overrides_as_pulumi_config_set_path(program):
    config = load(
        program,
        "dev",
        {"processor.timeoutSeconds": 2, "queue.maxReceiveCount": 2, "environment": "dev"},
        environ={},
    )
    assert config.project == "webhooks" and config.region == "eu-central-1"
    assert config.values["webhooks:processor"] == {"batchSize": 10, "timeoutSeconds": 2}
    assert config.values["webhooks:queue"] == {"maxReceiveCount": 2}
    assert json.loads(config.pulumi_config()["webhooks:processor"])["timeoutSeconds"] == 2
    assert config.pulumi_config()["webhooks:environment"] == "dev"


def test_dev_secrets_are_generated_per_scheme_and_marked_secret(program):
    config = load(program, "dev", environ={})
    assert config.secret_keys == ["webhooks:secrets"]
    secrets = config.values["webhooks:secrets"]
    assert set(secrets) == {"github", "standard-webhooks"}
    assert secrets["standard-webhooks"].startswith("whsec_")
    assert config.dev_secrets == secrets


def test_secrets_from_environment_variables(program):
    config = load(
        program,
        "dev",
        environ={
            "WEBHOOKS_SECRET_GITHUB": "gh-secret",
            "WEBHOOKS_SECRET_STANDARD_WEBHOOKS": "whsec_c2VjcmV0",
        },
    )
    assert config.dev_secrets == {"github": "gh-secret", "standard-webhooks": "whsec_c2VjcmV0"}


def test_generated_secrets_are_kept_across_runs(program, tmp_path):
    kept = tmp_path / "state" / "dev-secrets.json"
    first = load(program, "dev", secrets_file=kept, environ={})
    second = load(program, "dev", secrets_file=kept, environ={})
    assert first.dev_secrets == second.dev_secrets
    assert oct(kept.stat().st_mode & 0o777) == "0o600"


def test_encrypted_values_in_the_stack_file_are_replaced_or_named(program):
    stack = program / "Pulumi.dev.yaml"
    stack.write_text(
        stack.read_text()
        + "  webhooks:secrets:\n    github:\n      secure: v1:abc\n"
        + "  webhooks:alarms:\n    email:\n      secure: v1:def\n"
    )
    with pytest.raises(LocalStackError, match=r"webhooks:alarms\.email is encrypted"):
        load(program, "dev", environ={})
    config = load(program, "dev", {"alarms.email": "dev@example.com"}, environ={})
    assert not config.values["webhooks:secrets"]["github"].startswith("v1:")


def test_unknown_stack_is_named(program):
    with pytest.raises(LocalStackError, match=r"no stack 'qa'.*\['dev'\]"):
        load(program, "qa", environ={})


def test_dev_secrets_file_is_never_readable_by_others_even_while_written(
    tmp_path, monkeypatch
) -> None:
    """Created 0600 by `os.open` itself: a permissive umask never shows through, not even for
    the moment between creating and chmod-ing the file (no chmod is made afterwards)."""
    import os

    from local import config as local_config

    modes: list[int] = []
    real_open = os.open

    def recording_open(path, flags, mode=0o777, *args, **kwargs):
        if str(path).endswith("dev-secrets.json"):
            modes.append(mode)
        return real_open(path, flags, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", recording_open)
    old = os.umask(0)
    try:
        path = tmp_path / "dev-secrets.json"
        local_config._write_private(path, "{}")
    finally:
        os.umask(old)
    assert modes == [0o600]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    path.chmod(0o644)  # an existing, too-open file is tightened before it is written
    local_config._write_private(path, "{}")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


# --- the program's validation, before anything starts ---------------------------------------


def _program_error(raw: dict) -> str:
    """The message `pulumi up` would show for this `webhooks:` config (the program's check)."""
    from hookgate.components.config_error import ConfigError
    from hookgate.components.settings import check_top_level_keys, parse_settings

    with pytest.raises(ConfigError) as error:
        check_top_level_keys(raw)
        parse_settings(raw, stack="dev")
    return str(error.value)


def test_a_top_level_typo_in_set_is_the_programs_error_with_a_suggestion(program):
    with pytest.raises(LocalConfigError) as error:
        load(program, "dev", {"procesor.timeoutSeconds": 2}, environ={}, validate=True)
    message = str(error.value)
    assert "webhooks:procesor = {'timeoutSeconds': 2} is not allowed" in message
    assert "did you mean webhooks:processor?" in message
    assert message == _program_error({"environment": "dev", "procesor": {"timeoutSeconds": 2}})


def test_a_top_level_typo_in_the_stack_file_is_refused(program):
    stack = program / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text() + "  webhooks:queu:\n    maxReceiveCount: 2\n")
    with pytest.raises(LocalConfigError, match=r"webhooks:queu = .*did you mean webhooks:queue\?"):
        load(program, "dev", environ={}, validate=True)


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"secrets.github": ""}, r"webhooks:secrets\.github = '<secret>' is not allowed"),
        ({"secrets.gitlab": "x"}, r"webhooks:secrets\.gitlab .*no provider 'gitlab'"),
        ({"secrets.standard-webhooks": "not-base64"}, r"webhooks:secrets\.standard-webhooks"),
        ({"secrets.github": [1, 2]}, r"a non-empty string or a list of non-empty strings"),
    ],
)
def test_the_local_stack_refuses_the_secrets_the_program_refuses(program, override, expected):
    with pytest.raises(LocalConfigError, match=expected):
        load(program, "dev", override, environ={}, validate=True)


def test_a_secret_is_generated_only_for_a_provider_that_has_none(program):
    config = load(program, "dev", {"secrets.github": "given-secret"}, environ={}, validate=True)
    assert config.dev_secrets["github"] == "given-secret"
    assert config.secret_sources == {"github": "given", "standard-webhooks": "generated"}


def test_a_config_error_is_reported_as_one_by_python_m_local(tmp_path, capsys):
    from local.__main__ import main

    state = tmp_path / "state"
    assert main(["--set", "procesor.timeoutSeconds=2", "--state-dir", str(state)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("config error: webhooks:procesor = ")
    assert "cannot run locally" not in err
    assert not (state / "stack.lock").read_text()  # a refused start leaves no PID behind
