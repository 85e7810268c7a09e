"""Run the Pulumi program under Pulumi's mock runtime and record what it registers.

The one harness of both mock runs: the infrastructure tests run the program with mocks that
answer like AWS (`tests/components/mockstack.py`), the local stack with mocks that realize each
resource in the emulator (`local.realize.MotoMocks`); both get the same record of the graph
(type, name, parent, protect, inputs, which inputs are secret, dependencies) and the resolved
stack outputs, as `pulumi stack output --json` would show them.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import Stack

_SECRET_SIG = rpc._special_secret_sig
_SIG_KEY = rpc._special_sig_key


@dataclass
class MockedResource:
    """One registered resource: what the program asked Pulumi to create."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    inputs: dict[str, Any]
    secret_inputs: frozenset[str]
    id: str
    state: dict[str, Any]
    dependencies: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    """The URNs this resource was known by (`aliases`), resolved from the alias specs."""


@dataclass
class MockedStack:
    """The recorded graph and the resolved outputs of one program run."""

    stack: str
    config: dict[str, str]
    resources: list[MockedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    root_urn: str = ""

    def of_type(self, type_: str) -> list[MockedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> MockedResource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} resources of type {type_} named {name!r}")
        return found[0]

    def by_urn(self, urn: str) -> MockedResource:
        return next(r for r in self.resources if r.urn == urn)


def _secret_paths(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths of the values the program marked secret (in the raw RPC struct)."""
    if isinstance(value, Mapping):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            yield path
            return
        for key, inner in value.items():
            yield from _secret_paths(inner, f"{path}.{key}" if path else key)
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value):
            yield from _secret_paths(inner, f"{path}[{index}]")


def _unwrap_secrets(value: Any) -> Any:
    """Plain values in place of the RPC layer's secret wrappers (`secret_inputs` keeps which)."""
    if isinstance(value, Mapping):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return _unwrap_secrets(value.get("value"))
        return {key: _unwrap_secrets(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [_unwrap_secrets(inner) for inner in value]
    return value


class RecordingMonitor(mocks.MockMonitor):
    """The mock monitor that also keeps parent, protect and secretness of every registration."""

    def __init__(self, aws_mocks: pulumi.runtime.Mocks, into: MockedStack) -> None:
        super().__init__(aws_mocks)
        self._into = into

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self._into.root_urn = response.urn
            return response
        from google.protobuf import json_format

        raw = json_format.MessageToDict(request.object)
        registration = self.resources[response.urn]
        self._into.resources.append(
            MockedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=request.custom,
                protect=bool(request.protect),
                inputs=_unwrap_secrets(rpc.deserialize_properties(request.object)),
                secret_inputs=frozenset(_secret_paths(raw)),
                id=registration.id,
                state=registration.state,
                dependencies=tuple(request.dependencies),
                aliases=tuple(_alias_urns(request, response.urn)),
            )
        )
        return response


def _alias_urns(request: Any, urn: str) -> Iterator[str]:
    """Full URNs of a registration's aliases: given as URNs, or specs resolved as the engine
    does (unset parts are the resource's own)."""
    head, project, qualified_type, own_name = urn.split("::", 3)
    stack = head.removeprefix("urn:pulumi:")
    for alias in request.aliases:
        if alias.urn:
            yield alias.urn
            continue
        spec = alias.spec
        if spec.noParent:
            parent_chain = ""
        elif spec.parentUrn:
            parent_chain = spec.parentUrn.split("::", 3)[2] + "$"
        else:
            parent_chain = qualified_type.rpartition("$")[0] + "$" if "$" in qualified_type else ""
        type_ = spec.type or request.type
        yield (
            f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::"
            f"{parent_chain}{type_}::{spec.name or own_name}"
        )


@contextlib.contextmanager
def _in_directory(directory: Path) -> Iterator[None]:
    previous = Path.cwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def run_program(
    program_dir: Path,
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str],
    aws: pulumi.runtime.Mocks,
) -> MockedStack:
    """Run `program_dir/__main__.py` once under `aws` and return its graph and outputs.

    `config` is the config map as the engine hands it to a program (full keys, values as
    strings); `secret_keys` are the keys set as secrets. Errors the program raises propagate.
    """
    recorded = MockedStack(stack=stack, config=dict(config))
    settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh stack for each run
    pulumi.runtime.set_mocks(
        aws, project=project, stack=stack, preview=False, monitor=RecordingMonitor(aws, recorded)
    )
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    if str(program_dir) not in sys.path:
        sys.path.insert(0, str(program_dir))

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        with _in_directory(program_dir):
            runpy.run_path(str(program_dir / "__main__.py"), run_name="__main__")
        root = settings.get_root_resource()
        assert isinstance(root, Stack), "the program registered no stack"
        return pulumi.Output.from_input(root.outputs).apply(recorded.outputs.update)

    program()
    return recorded
