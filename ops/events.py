"""Stored events: a provider's events by time (GSI `by_provider`), one event by id, its bytes."""

from decimal import Decimal

from boto3.dynamodb.types import Binary, TypeDeserializer

# The item → original bytes reader lives with the code that writes items: the Lambda package
# (its `webhooks` package is on the path: see `ops/__init__.py`).
from webhooks.storage import item_key, original_bytes

INDEX = "by_provider"
SCAN_PAGE = 100  # items read per Scan page when no provider is given
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
    """Reads at most `limit` items' worth of pages (not the whole table), then sorts them."""
    request: dict = {
        "TableName": table,
        "ProjectionExpression": ", ".join(f"#{name}" for name in LISTED),
        "ExpressionAttributeNames": {f"#{name}": name for name in LISTED},
        "Limit": min(limit, SCAN_PAGE),
    }
    if since:
        request["FilterExpression"] = "#received_at >= :since"
        request["ExpressionAttributeValues"] = {":since": {"S": since}}
    items: list[dict] = []
    scanned = 0
    while scanned < limit:
        page = dynamodb.scan(**request)
        scanned += page.get("ScannedCount", 0)
        items.extend(plain(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    items.sort(key=lambda item: item.get("received_at", ""), reverse=True)
    return items[:limit]


def get_event(dynamodb, table: str, provider: str, delivery_id: str) -> dict | None:
    """One stored event as its low-level item, strongly consistent; None when not stored."""
    response = dynamodb.get_item(
        TableName=table, Key={"pk": {"S": item_key(provider, delivery_id)}}, ConsistentRead=True
    )
    return response.get("Item")


def metadata(item: dict) -> dict:
    """What `events show` prints: every attribute but the payload bytes, which it summarises."""
    values = plain(item)
    payload = values.pop("payload", None)
    if payload is not None:
        values["payload"] = f"<{len(payload)} bytes, zlib>"
    return values


def body(item: dict, s3, bucket: str) -> bytes:
    """The original bytes of a stored event, from the item or from the archive bucket."""

    def read_archived(key: str) -> bytes:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    return original_bytes(item, read_archived)
