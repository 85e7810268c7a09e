"""Stored events: a provider's events by time (GSI `by_provider`), one event by id, its bytes."""

import contextlib
import json
from decimal import Decimal

from boto3.dynamodb.types import Binary, TypeDeserializer

# The item → original bytes reader lives with the code that writes items: the Lambda package
# (its `webhooks` package is on the path: see `ops/__init__.py`).
from webhooks.storage import is_event, item_key, original_bytes

INDEX = "by_provider"
SCAN_PAGE = 100  # items read per Scan page when no provider is given
SCAN_BOUND = 10_000  # items a listing without a provider reads at most
LISTED = ("provider", "received_at", "delivery_id", "event_type", "body_size")

_deserializer = TypeDeserializer()


def plain(item: dict) -> dict:
    """A DynamoDB item in attribute-value form as plain Python values (binary as bytes)."""
    return {name: _plain(_deserializer.deserialize(value)) for name, value in item.items()}


def _plain(value: object) -> object:
    if isinstance(value, Binary):
        return value.value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def list_events(
    dynamodb, table: str, *, provider: str | None, since: str | None, limit: int
) -> list[dict]:
    """Newest first: a Query of the provider's index partition, else a bounded Scan."""
    if provider is None:
        return _scan(dynamodb, table, since=since, limit=limit)
    condition = "provider = :provider"
    values = {":provider": {"S": provider}}
    if since:
        condition += " AND received_at >= :since"
        values[":since"] = {"S": since}
    items: list[dict] = []
    request = {
        "TableName": table,
        "IndexName": INDEX,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": False,
        "Limit": limit,
    }
    while len(items) < limit:
        page = dynamodb.query(**request)
        items.extend(plain(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return items[:limit]


def _scan(dynamodb, table: str, *, since: str | None, limit: int) -> list[dict]:
    """Events only (alias items never count), until `limit` are found, `SCAN_BOUND` items were
    read or the table ends; then newest first. Without a provider there is no time index: this
    reads pages, so its newest are the newest of what it read."""
    names = (*LISTED, "body_sha256")
    request: dict = {
        "TableName": table,
        "ProjectionExpression": ", ".join(f"#{name}" for name in names),
        "ExpressionAttributeNames": {f"#{name}": name for name in names},
        "FilterExpression": "attribute_exists(#body_sha256)",
        "Limit": SCAN_PAGE,
    }
    if since:
        request["FilterExpression"] += " AND #received_at >= :since"
        request["ExpressionAttributeValues"] = {":since": {"S": since}}
    items: list[dict] = []
    scanned = 0
    while len(items) < limit and scanned < SCAN_BOUND:
        page = dynamodb.scan(**request)
        scanned += page.get("ScannedCount", 0)
        items.extend(plain(item) for item in page.get("Items", []) if is_event(item))
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for item in items:
        item.pop("body_sha256", None)
    items.sort(key=lambda item: item.get("received_at", ""), reverse=True)
    return items[:limit]


def get_event(dynamodb, table: str, provider: str, delivery_id: str) -> dict | None:
    """The event stored for a delivery id as its low-level item, strongly consistent; None when
    not stored. With several (a conflict), the first of `get_events`: the original."""
    found = get_events(dynamodb, table, provider, delivery_id)
    return found[0] if found else None


def get_events(dynamodb, table: str, provider: str, delivery_id: str) -> list[dict]:
    """Every event that arrived under a delivery id, the original first, strongly consistent.

    The id's key `<provider>#<id>` holds the event itself (dedupe by delivery id), or an alias
    item of an earlier version listing events (`events`, no `body_sha256`). An event deduplicated
    by content is under its bytes' key and names the id in `delivery_ids`: it is found by a
    Scan of the table, an operator's wait that saves a write per stored event. An event whose
    key was taken by other bytes lists them in `conflicts`. Events in the order received.
    """
    first = _get(dynamodb, table, item_key(provider, delivery_id))
    if first is not None and is_event(first):
        found = [first]
    else:
        aliased = [] if first is None else sorted(first.get("events", {}).get("SS", []))
        found = [item for item in (_get(dynamodb, table, key) for key in aliased) if item]
        seen = {item["pk"]["S"] for item in found}
        found += [
            item
            for item in _named(dynamodb, table, provider, delivery_id)
            if item["pk"]["S"] not in seen
        ]
        found.sort(key=lambda item: item.get("received_at", {}).get("S", ""))
    keys = [item["pk"]["S"] for item in found]
    for item in [*([first] if first is not None and not is_event(first) else []), *found]:
        for key in sorted(item.get("conflicts", {}).get("SS", [])):
            if key not in keys:
                conflict = _get(dynamodb, table, key)
                if conflict is not None:
                    keys.append(key)
                    found.append(conflict)
    return found


def _named(dynamodb, table: str, provider: str, delivery_id: str) -> list[dict]:
    """The provider's events whose `delivery_id` or `delivery_ids` name the id (a full Scan)."""
    request: dict = {
        "TableName": table,
        "FilterExpression": "provider = :provider AND "
        "(delivery_id = :id OR contains(delivery_ids, :id))",
        "ExpressionAttributeValues": {":provider": {"S": provider}, ":id": {"S": delivery_id}},
        "ConsistentRead": True,
    }
    items: list[dict] = []
    while True:
        page = dynamodb.scan(**request)
        items.extend(item for item in page.get("Items", []) if is_event(item))
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _get(dynamodb, table: str, pk: str) -> dict | None:
    return dynamodb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get(
        "Item"
    )


def metadata(item: dict) -> dict:
    """What `events show` prints: every attribute but the payload bytes, which it summarises."""
    values = plain(item)
    payload = values.pop("payload", None)
    if payload is not None:
        values["payload"] = f"<{len(payload)} bytes, zlib>"
    headers = values.get("headers")
    if isinstance(headers, str):  # stored as JSON text (docs/contract.md, "Table item")
        with contextlib.suppress(ValueError):  # else shown as stored
            values["headers"] = json.loads(headers)
    return {name: _json_ready(value) for name, value in values.items()}


def _json_ready(value: object) -> object:
    """Sets (string and number sets) as sorted lists, bytes as a size: what JSON can carry."""
    if isinstance(value, set | frozenset):
        return sorted(_json_ready(member) for member in value)  # type: ignore[type-var]
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def body(item: dict, s3, bucket: str) -> bytes:
    """The original bytes of a stored event, from the item or from the archive bucket."""

    def read_archived(key: str) -> bytes:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    return original_bytes(item, read_archived)
