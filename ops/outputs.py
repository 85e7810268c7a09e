"""Stack outputs: where to find them, and typed access with errors that say what is missing.

Looked up in order: `--outputs FILE`, env `WEBHOOKS_OUTPUTS`, `.local/outputs.json` (written by
the local stack). A real stack's file: `pulumi stack output --json --show-secrets > outputs.json`.
What the CLI keeps between runs (replay checkpoints, DLQ journals) lives next to that file, in
`.ops/` (`Outputs.state_dir`): in the local stack's state directory for the local stack.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import boto3

from ops.errors import OpsError

ENV_VAR = "WEBHOOKS_OUTPUTS"
LOCAL_FILE = Path(".local/outputs.json")
STATE_DIR = ".ops"


@dataclass(frozen=True)
class Outputs:
    """The stack outputs the CLI reads (docs/contract.md, "Stack outputs")."""

    values: dict[str, object]
    source: str

    @property
    def state_dir(self) -> Path:
        """Where the CLI keeps its journals and checkpoints for this stack (git-ignored)."""
        return Path(self.source).resolve().parent / STATE_DIR

    def get(self, name: str) -> object:
        """One output; missing is an error naming the output and the file it was looked up in."""
        if name not in self.values:
            raise OpsError(
                f"output {name!r} is missing from {self.source}: an older stack? update it"
                " (`pulumi up`, or restart `make local`) and write its outputs again"
            )
        return self.values[name]

    def text(self, name: str) -> str:
        value = self.get(name)
        if not isinstance(value, str) or not value:
            raise OpsError(f"output {name!r} in {self.source} is not a non-empty string")
        return value

    def mapping(self, name: str) -> dict[str, str]:
        value = self.get(name)
        if not isinstance(value, dict):
            raise OpsError(f"output {name!r} in {self.source} is not an object")
        return value

    @property
    def providers(self) -> dict[str, str]:
        """Provider name → signature scheme."""
        return self.mapping("providers")

    def provider(self, name: str) -> str:
        """The scheme of a configured provider; an unknown one names the configured ones."""
        providers = self.providers
        if name not in providers:
            known = ", ".join(sorted(providers)) or "none"
            raise OpsError(f"unknown provider {name!r}; configured providers: {known}")
        return providers[name]

    def client(self, service: str):
        """A boto3 client in the stack's region; boto3 itself honours `AWS_ENDPOINT_URL`."""
        self._check_local_endpoint()
        return boto3.client(service, region_name=self.text("region"))

    def _check_local_endpoint(self) -> None:
        """The local stack's outputs with this shell not pointed at its emulator would send the
        calls to AWS itself: refuse, naming the file that sets the environment."""
        env = Path(self.source).resolve().parent / "env"
        if not env.is_file():
            return
        exported = dict(
            line.removeprefix("export ").split("=", 1)
            for line in env.read_text().splitlines()
            if line.startswith("export ") and "=" in line
        )
        endpoint = exported.get("AWS_ENDPOINT_URL")
        if not endpoint or Path(exported.get(ENV_VAR, "")).parent != env.parent:
            return  # not a local stack's environment for these outputs
        current = os.environ.get("AWS_ENDPOINT_URL")
        if current != endpoint:
            raise OpsError(
                f"{self.source} are the local stack's outputs (emulator {endpoint}), but"
                f" AWS_ENDPOINT_URL here is {current or 'unset'}: run `source {env}` in this"
                " shell first"
            )


def resolve_path(explicit: str | None) -> Path:
    """The outputs file to read: the flag, else the environment variable, else the local one."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return LOCAL_FILE


def load(explicit: str | None = None) -> Outputs:
    """Read and parse the outputs file, or fail saying how to produce one."""
    path = resolve_path(explicit)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise OpsError(
            f"no stack outputs at {path}: is `make local` running? Start it in another shell,"
            f" then `source .local/env` here; for a real stack write its outputs with"
            f" `pulumi stack output --json --show-secrets > outputs.json` and pass"
            f" `--outputs outputs.json` (or set {ENV_VAR})"
        ) from None
    except OSError as error:
        raise OpsError(f"cannot read stack outputs {path}: {error.strerror}") from None
    try:
        values = json.loads(text)
    except ValueError as error:
        raise OpsError(f"stack outputs {path} are not JSON: {error}") from None
    if not isinstance(values, dict):
        raise OpsError(f"stack outputs {path} are not a JSON object")
    return Outputs(values=values, source=str(path))
