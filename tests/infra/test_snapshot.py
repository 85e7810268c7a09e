"""Each stack's resource inventory, committed, so a pull request shows infrastructure changes
the way `pulumi preview` would. Update after an intended change: `make snapshots`."""

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pulumi
import pytest

from tests.infra.mockstack import MockedStack, built_stack

STACKS = ("dev", "prod")

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def _plain(value: Any) -> Any:
    """JSON-ready and stable: sorted keys, whole floats as ints, archives as paths, JSON text
    parsed (policies read as documents)."""
    if isinstance(value, dict):
        return {key: _plain(value[key]) for key in sorted(value)}
    if isinstance(value, list | tuple):
        return [_plain(inner) for inner in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, pulumi.AssetArchive):
        return {"archive": sorted(value.assets)}
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _plain(json.loads(value))
        except ValueError:
            return value
    return value


def inventory(stack: MockedStack) -> dict[str, Any]:
    """Type, logical name, parent and inputs of every resource (tags are tested separately,
    secret inputs are masked), plus the stack outputs."""
    names = {r.urn: r.name for r in stack.resources}
    resources = []
    for r in sorted(stack.resources, key=lambda r: (r.type, r.name)):
        inputs = {k: v for k, v in r.inputs.items() if k != "tags"}
        inputs.update({k: "[secret]" for k in r.secret_inputs})
        entry: dict[str, Any] = {
            "type": r.type,
            "name": r.name,
            "parent": names.get(r.parent, "(stack)"),
        }
        if r.protect:
            entry["protect"] = True
        entry["inputs"] = _plain(inputs)
        resources.append(entry)
    return {"resources": resources, "outputs": _plain(stack.outputs)}


@pytest.mark.parametrize("name", STACKS)
def test_snapshot_matches_the_committed_inventory(name: str) -> None:
    text = json.dumps(inventory(built_stack(name)), indent=2) + "\n"
    path = SNAPSHOTS / f"{name}.json"
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} is missing: run `make snapshots` and commit it"
    committed = path.read_text()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"{path.name} (committed)",
            f"{path.name} (program)",
        )
    )
    assert not diff, f"infrastructure changed; if intended, run `make snapshots`:\n{diff}"


def test_snapshot_masks_secrets_and_drops_nothing_else() -> None:
    snapshot = inventory(built_stack("dev"))
    versions = [
        r for r in snapshot["resources"] if r["type"].endswith("secretVersion:SecretVersion")
    ]
    assert versions
    assert all(v["inputs"]["secretString"] == "[secret]" for v in versions)
    assert len(snapshot["resources"]) == len(built_stack("dev").resources)
