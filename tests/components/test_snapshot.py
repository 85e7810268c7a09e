"""Each stack's resource inventory, committed, so a pull request shows infrastructure changes
the way `pulumi preview` would. Update after an intended change: `make snapshots`.

Besides the two stack files: a review stack (`pr-123`, dev profile), prod in a second region,
and the custom domain in each of its two forms (`tests/components/mockstack.py`, `SCENARIOS`).
A resource that holds data must keep its URN: a new URN without an alias is a delete plus a
create in Pulumi (`docs/design.md` §5, "Moving or renaming a resource").
"""

import dataclasses
import difflib
import json
import os
from pathlib import Path
from typing import Any

import pulumi
import pytest

from tests.components.mockstack import SCENARIOS, MockedResource, MockedStack, built_stack

STACKS = tuple(SCENARIOS)
# Resources whose replacement loses data: stored events, queued and parked deliveries, secrets.
STATEFUL = frozenset(
    {
        "aws:dynamodb/table:Table",
        "aws:sqs/queue:Queue",
        "aws:s3/bucket:Bucket",
        "aws:secretsmanager/secret:Secret",
    }
)

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
            "urn": r.urn,
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


def lost_stateful_urns(
    committed: dict[str, Any], resources: list[MockedResource]
) -> list[tuple[str, str]]:
    """Stateful resources of the committed inventory that the program neither declares under
    the same URN nor names in an `aliases` option: Pulumi would delete them."""
    known = {r.urn for r in resources} | {alias for r in resources for alias in r.aliases}
    return [
        (entry["type"], entry["urn"])
        for entry in committed["resources"]
        if entry["type"] in STATEFUL and entry["urn"] not in known
    ]


@pytest.mark.parametrize("name", STACKS)
def test_stateful_resources_keep_their_urns(name: str) -> None:
    path = SNAPSHOTS / f"{name}.json"
    lost = lost_stateful_urns(json.loads(path.read_text()), built_stack(name).resources)
    assert not lost, (
        "these resources hold data and would be deleted and recreated: give the moved or"
        f" renamed resource `aliases=[<old URN>]` (docs/design.md §5, Moving or renaming): {lost}"
    )


def test_a_renamed_stateful_resource_without_alias_is_caught() -> None:
    stack = built_stack("prod")
    committed = inventory(stack)
    queue = next(r for r in stack.resources if r.type == "aws:sqs/queue:Queue")
    renamed = dataclasses.replace(queue, urn=queue.urn + "-renamed")
    others = [r for r in stack.resources if r is not queue]
    assert lost_stateful_urns(committed, [*others, renamed]) == [(queue.type, queue.urn)]
    aliased = dataclasses.replace(renamed, aliases=(queue.urn,))
    assert lost_stateful_urns(committed, [*others, aliased]) == []
    assert lost_stateful_urns(committed, stack.resources) == []
