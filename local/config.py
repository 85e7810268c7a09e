"""A stack's config for the local run: the stack file, `--set` overrides, development secrets.

The stack file is read as `pulumi` reads it; `--set processor.timeoutSeconds=2` changes one value
as `pulumi config set --path` would (values parsed as JSON when they parse, else strings).
Encrypted values (`secure: ...`) cannot be decrypted here. A provider's signing secret
(`<project>:secrets`) is the one given in plain (`--set secrets.<provider>=...`), else
`WEBHOOKS_SECRET_<PROVIDER>`, else the one kept in `.local/dev-secrets.json`, else one generated
and kept there; only a provider without a usable secret gets a generated one (`secret_sources`
says which, for the banner). Secrets are passed to the program as Pulumi secret config, as
`pulumi config set --secret` would.

The whole config is then validated by the program's own rules (`hookgate.components.settings`)
before
anything starts: an unknown top-level key, an empty secret, a secret for a provider that does
not exist are the program's errors, word for word (`LocalConfigError`).
"""

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from local.errors import LocalConfigError, LocalStackError
from webhooks import schemes

SECRETS_KEY = "secrets"
PROVIDERS_KEY = "providers"


@dataclass
class StackConfig:
    project: str
    stack: str
    region: str
    values: dict[str, Any]
    """Full key (`project:key`) → value, structured values as objects."""
    secret_keys: list[str] = field(default_factory=list)
    dev_secrets: dict[str, str] = field(default_factory=dict)
    """Provider → the signing secret the local stack configured."""
    secret_sources: dict[str, str] = field(default_factory=dict)
    """Provider → where its secret came from (given, environment, kept, generated)."""

    def pulumi_config(self) -> dict[str, str]:
        """The config map as the Pulumi engine hands it to a program: values as strings."""
        return {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in self.values.items()
        }


def secret_env_var(provider: str) -> str:
    return "WEBHOOKS_SECRET_" + provider.upper().replace("-", "_")


def generate_secret(scheme_name: str) -> str:
    """A random signing secret in the scheme's development format (the registry's).

    An unknown scheme gets random hex; the program then names the bad scheme.
    """
    scheme = schemes.find(scheme_name)
    return scheme.new_development_secret() if scheme else secrets.token_hex(24)


def parse_override(text: str) -> tuple[str, Any]:
    """`key.path=value` → (key path, value); the value is JSON when it parses, else a string."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise LocalStackError(
            f"--set {text!r}: expected key=value, e.g. processor.timeoutSeconds=2"
        )
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _set_path(values: dict[str, Any], project: str, path: str, value: Any) -> None:
    head, *rest = path.split(".")
    key = _full_key(project, head)
    if not rest:
        values[key] = value
        return
    node = values.setdefault(key, {})
    for part in rest[:-1]:
        if not isinstance(node, dict):
            raise LocalStackError(f"--set {path}: {part!r} is inside a value that is not an object")
        node = node.setdefault(part, {})
    if not isinstance(node, dict):
        raise LocalStackError(f"--set {path}: the value at {rest[-1]!r} is not inside an object")
    node[rest[-1]] = value


def _encrypted_keys(value: Any, path: str) -> list[str]:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return [path]
        return [k for name, v in value.items() for k in _encrypted_keys(v, f"{path}.{name}")]
    return []


def _write_private(path: Path, text: str) -> None:
    """Write `text` to a file that is mode 0600 from its creation (never readable by others,
    not even between a create and a chmod); an existing file is made 0600 before it is written."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # O_CREAT's mode applies to new files only
        with os.fdopen(descriptor, "w") as file:
            descriptor = -1
            file.write(text)
    finally:
        if descriptor != -1:
            os.close(descriptor)


def load(
    program_dir: Path,
    stack: str,
    overrides: dict[str, Any] | None = None,
    secrets_file: Path | None = None,
    environ: dict[str, str] | None = None,
    validate: bool = False,
) -> StackConfig:
    """The stack's config with overrides applied and development secrets in place.

    `validate`: check it with the program's rules first (`LocalConfigError`), as the local
    stack does before it starts anything; a caller composing a config from parts (the drill
    adds providers to a stack file's) reads it without.
    """
    environ = dict(os.environ if environ is None else environ)
    project = yaml.safe_load((program_dir / "Pulumi.yaml").read_text())["name"]
    stack_file = program_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        known = sorted(p.name[7:-5] for p in program_dir.glob("Pulumi.*.yaml"))
        raise LocalStackError(f"no stack {stack!r}: {stack_file.name} is missing (stacks: {known})")
    document = yaml.safe_load(stack_file.read_text()) or {}
    values = {_full_key(project, k): v for k, v in (document.get("config") or {}).items()}
    for path, value in (overrides or {}).items():
        _set_path(values, project, path, value)

    for key, value in values.items():
        encrypted = _encrypted_keys(value, key)
        encrypted = [k for k in encrypted if not k.startswith(f"{project}:{SECRETS_KEY}.")]
        if encrypted:
            raise LocalStackError(
                f"{encrypted[0]} is encrypted in {stack_file.name} and cannot be decrypted "
                f"locally: give a development value with --set {encrypted[0].split(':', 1)[1]}=..."
            )

    secrets_key = f"{project}:{SECRETS_KEY}"
    configured = values.get(secrets_key)
    providers = values.get(f"{project}:{PROVIDERS_KEY}") or {}
    kept = json.loads(secrets_file.read_text()) if secrets_file and secrets_file.exists() else {}
    resolved, sources = _resolve_secrets(configured, providers, kept, environ)
    if resolved is not None:
        values[secrets_key] = resolved
    if validate:
        _validate(program_dir, project, stack, values)
    dev_secrets = {
        name: value if isinstance(value, str) else value[0]
        for name, value in (resolved or {}).items()
    }
    if secrets_file is not None and dev_secrets:
        secrets_file.parent.mkdir(parents=True, exist_ok=True)
        _write_private(
            secrets_file,
            json.dumps(
                {
                    name: {"scheme": providers[name].get("scheme"), "secret": secret}
                    for name, secret in dev_secrets.items()
                },
                indent=2,
            ),
        )

    region = values.get("aws:region") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    values["aws:region"] = region
    return StackConfig(
        project=project,
        stack=stack,
        region=region,
        values=values,
        secret_keys=[secrets_key] if resolved is not None else [],
        dev_secrets=dev_secrets,
        secret_sources=sources,
    )


def _resolve_secrets(
    configured: Any, providers: Any, kept: dict[str, Any], environ: dict[str, str]
) -> tuple[Any, dict[str, str]]:
    """`secrets` with a development secret for each provider that has none usable here.

    What is given stays as given, right or wrong (an empty secret, one for an unknown provider,
    a list of numbers): the program's validation judges it. Only an absent secret, or one the
    stack file holds encrypted, is replaced.
    """
    if configured is not None and not isinstance(configured, dict):
        return configured, {}
    if not isinstance(providers, dict):
        return configured, {}
    resolved: dict[str, Any] = {
        name: value
        for name, value in (configured or {}).items()
        if not _encrypted_keys(value, name)
    }
    sources = {name: "given" for name in resolved}
    for name, options in providers.items():
        if name in resolved:
            continue
        scheme = options.get("scheme", "") if isinstance(options, dict) else ""
        encrypted = isinstance(configured, dict) and name in configured
        if environ.get(secret_env_var(name)):
            resolved[name] = environ[secret_env_var(name)]
            sources[name] = f"${secret_env_var(name)}"
        elif isinstance(kept.get(name), dict) and kept[name].get("scheme") == scheme:
            resolved[name] = kept[name]["secret"]
            sources[name] = "kept from an earlier run (dev-secrets.json)"
        else:
            resolved[name] = generate_secret(scheme)
            sources[name] = "generated"
        if encrypted:
            sources[name] += "; the stack file's is encrypted"
    return (resolved if resolved or configured is not None else None), sources


def validate(program_dir: Path, config: StackConfig) -> None:
    """`load(validate=True)` for a config the local stack completed after loading it (the
    public-key providers' test keys and key server, `LocalStack._serve_sender_keys`): judged as
    the program judges it on the local stack, where `keyOrigin` is allowed."""
    from webhooks.keys import LOCAL_STACK_VARIABLE

    previous = os.environ.get(LOCAL_STACK_VARIABLE)
    os.environ[LOCAL_STACK_VARIABLE] = "1"
    try:
        _validate(program_dir, config.project, config.stack, config.values)
    finally:
        if previous is None:
            del os.environ[LOCAL_STACK_VARIABLE]
        else:
            os.environ[LOCAL_STACK_VARIABLE] = previous


def _validate(program_dir: Path, project: str, stack: str, values: dict[str, Any]) -> None:
    """The program's own validation of the `<project>:` keys, before anything starts.

    Only for the program whose rules are importable here (this repository's); another program
    is judged when it runs (`LocalStack._declare` reports its config errors as such too).
    """
    from hookgate.components import settings as program_settings
    from hookgate.components.config_error import ConfigError

    ours = Path(program_settings.__file__).resolve()
    if (program_dir / "hookgate" / "components" / "settings.py").resolve() != ours:
        return
    prefix = f"{project}:"
    raw = {key[len(prefix) :]: value for key, value in values.items() if key.startswith(prefix)}
    try:
        program_settings.check_top_level_keys(raw)
        program_settings.parse_settings(raw, stack=stack)
    except ConfigError as error:
        raise LocalConfigError(str(error)) from None
