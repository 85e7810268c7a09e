"""Each stack's resource inventory, committed, so a pull request shows infrastructure changes
the way `pulumi preview` would. Update after an intended change: `make snapshots`.

`dev.json` and `prod.json` hold the two stack files' whole inventories. The other scenarios
(`tests/components/mockstack.py`, `SCENARIOS`: a review stack, prod in a second region, the
custom domain in each of its two forms, the function URL, subscribers, every feature) are stored
as their differences from the dev or prod inventory (`<scenario>.diff.json`: resources added,
removed, and the inputs that change), so a change every stack shares shows once per profile.
A resource that holds data must keep its URN: a new URN without an alias is a delete plus a
create in Pulumi (docs/design.md, "Moving or renaming a resource").
"""

import copy
import dataclasses
import difflib
import json
import os
import re
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


BASES = ("dev", "prod")
"""Stored whole; every other scenario is stored as its differences from one of them."""
BASE_OF = {
    "pr-123": "dev",
    "prod-us-east-1": "prod",
    "subscribers": "dev",
    "domain-certificate": "dev",
    "domain-zone": "prod",
    "function-url": "prod",
    "every-feature": "prod",
    "every-feature-url": "dev",
}
_FIELDS = ("urn", "parent", "protect")
REGION = ("aws:region",)


def _key(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["type"], entry["name"]


def _changes(base: Any, other: Any, path: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Where `other` differs from `base`, by key path below dicts (a list differs whole); a
    side without the key has no `from` (added) or no `to` (removed)."""
    if isinstance(base, dict) and isinstance(other, dict):
        changes = []
        for key in sorted(base.keys() | other.keys()):
            if key not in other:
                changes.append({"path": [*path, key], "from": base[key]})
            elif key not in base:
                changes.append({"path": [*path, key], "to": other[key]})
            else:
                changes.extend(_changes(base[key], other[key], (*path, key)))
        return changes
    return [] if base == other else [{"path": list(path), "from": base, "to": other}]


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(inner) for inner in value]
    return value


def _apply(value: dict[str, Any], changes: list[dict[str, Any]]) -> dict[str, Any]:
    """`value` with `changes` (`_changes`) made, keys in `_plain`'s sorted order."""
    result = copy.deepcopy(value)
    for change in changes:
        *parents, last = change["path"]
        target = result
        for key in parents:
            target = target[key]
        if "to" in change:
            target[last] = copy.deepcopy(change["to"])
        else:
            del target[last]
    return _sorted(result)


def renamed(snapshot: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    """`snapshot` with each whole word `old` of `renames` written `new` (stack names, regions:
    they are in every physical name and ARN)."""
    text = json.dumps(snapshot)
    for old, new in renames.items():
        text = re.sub(rf"(?<!\w){re.escape(old)}(?!\w)", new, text)
    return dict(json.loads(text))


def difference(
    base: dict[str, Any], other: dict[str, Any], renames: dict[str, str]
) -> dict[str, Any]:
    """`other` as what it adds to, removes from and changes in `base` with `renames` made
    (`from` is the renamed base's value)."""
    base = renamed(base, renames)
    before = {_key(e): e for e in base["resources"]}
    after = {_key(e): e for e in other["resources"]}
    changed = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key], after[key]
        entry: dict[str, Any] = {"type": key[0], "name": key[1]}
        for field in _FIELDS:
            if old.get(field) != new.get(field):
                entry[field] = {"from": old.get(field), "to": new.get(field)}
        inputs = _changes(old["inputs"], new["inputs"])
        if inputs:
            entry["inputs"] = inputs
        if len(entry) > 2:
            changed.append(entry)
    return {
        "renames": renames,
        "added": [after[key] for key in sorted(after.keys() - before.keys())],
        "removed": [{"type": t, "name": n} for t, n in sorted(before.keys() - after.keys())],
        "changed": changed,
        "outputs": _changes(base["outputs"], other["outputs"]),
    }


def applied(base: dict[str, Any], diff: dict[str, Any]) -> dict[str, Any]:
    """The inventory `difference` was taken of: `base` with `diff` applied."""
    base = renamed(base, diff["renames"])
    removed = {_key(e) for e in diff["removed"]}
    changes = {_key(e): e for e in diff["changed"]}
    resources = []
    for old in base["resources"]:
        if _key(old) in removed:
            continue
        entry = copy.deepcopy(old)
        change = changes.get(_key(old), {})
        for field in _FIELDS:
            if field in change and change[field]["to"] is None:
                entry.pop(field, None)
            elif field in change:
                entry[field] = change[field]["to"]
        entry["inputs"] = _apply(entry["inputs"], change.get("inputs", []))
        # the order inventory() writes: protect before inputs
        entry = {
            k: entry[k]
            for k in ("type", "name", "urn", "parent", "protect", "inputs")
            if k in entry
        }
        resources.append(entry)
    resources = sorted([*resources, *copy.deepcopy(diff["added"])], key=_key)
    return {"resources": resources, "outputs": _apply(base["outputs"], diff["outputs"])}


def renames_of(name: str) -> dict[str, str]:
    """What a scenario renames in its base: the stack name, the region."""
    base, scenario = built_stack(BASE_OF[name]), built_stack(name)
    pairs = [(base.stack, scenario.stack), *((base.config[k], scenario.config[k]) for k in REGION)]
    return {old: new for old, new in pairs if old != new}


def snapshot(name: str) -> dict[str, Any]:
    """What is stored for a scenario: its inventory (dev, prod), else its difference."""
    whole = inventory(built_stack(name))
    if name in BASES:
        return whole
    return difference(inventory(built_stack(BASE_OF[name])), whole, renames_of(name))


def snapshot_path(name: str) -> Path:
    return SNAPSHOTS / (f"{name}.json" if name in BASES else f"{name}.diff.json")


def committed_inventory(name: str) -> dict[str, Any]:
    """A scenario's committed inventory: stored whole, or its base with its stored difference."""
    stored = json.loads(snapshot_path(name).read_text())
    if name in BASES:
        return stored
    return applied(json.loads(snapshot_path(BASE_OF[name]).read_text()), stored)


def test_every_scenario_is_a_base_or_has_one() -> None:
    assert set(STACKS) == {*BASES, *BASE_OF}
    assert set(BASE_OF.values()) <= set(BASES)
    stored = {p.name for p in SNAPSHOTS.glob("*.json")}
    assert stored == {snapshot_path(name).name for name in STACKS}, "run `make snapshots`"


@pytest.mark.parametrize("name", STACKS)
def test_snapshot_matches_the_committed_inventory(name: str) -> None:
    text = json.dumps(snapshot(name), indent=2) + "\n"
    path = snapshot_path(name)
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


@pytest.mark.parametrize("name", sorted(BASE_OF))
def test_a_difference_gives_back_the_whole_inventory(name: str) -> None:
    """Nothing of a scenario is lost by storing its difference: applied to its base's inventory,
    the difference is the scenario's inventory, byte for byte."""
    base = inventory(built_stack(BASE_OF[name]))
    whole = inventory(built_stack(name))
    diff = difference(base, whole, renames_of(name))
    assert json.dumps(applied(base, diff), indent=2) == json.dumps(whole, indent=2)


def test_a_change_to_dev_shows_in_dev_alone() -> None:
    """A change every scenario shares (a new input on every function) changes the dev and prod
    snapshots, not the differences of the scenarios built on them."""

    def with_memory(snapshot: dict[str, Any]) -> dict[str, Any]:
        changed = copy.deepcopy(snapshot)
        for entry in changed["resources"]:
            if entry["type"] == "aws:lambda/function:Function":
                entry["inputs"]["memorySize"] = 4096
        return changed

    base, whole = inventory(built_stack("dev")), inventory(built_stack("subscribers"))
    before = difference(base, whole, {})
    after = difference(with_memory(base), with_memory(whole), {})
    assert before["added"] and before == {**after, "added": before["added"]}


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
    lost = lost_stateful_urns(committed_inventory(name), built_stack(name).resources)
    assert not lost, (
        "these resources hold data and would be deleted and recreated: give the moved or"
        f" renamed resource `aliases=[<old URN>]` (docs/design.md, Moving or renaming): {lost}"
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
