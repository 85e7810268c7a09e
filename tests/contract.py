"""docs/contract.md as test data, for the tests that stand in for the program's resources."""

# `create_table` arguments of the events table (less its name): key, GSI `by_provider`.
EVENTS_TABLE = {
    "BillingMode": "PAY_PER_REQUEST",
    "AttributeDefinitions": [
        {"AttributeName": name, "AttributeType": "S"} for name in ("pk", "provider", "received_at")
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "by_provider",
            "KeySchema": [
                {"AttributeName": "provider", "KeyType": "HASH"},
                {"AttributeName": "received_at", "KeyType": "RANGE"},
            ],
            "Projection": {
                "ProjectionType": "INCLUDE",
                "NonKeyAttributes": ["delivery_id", "event_type", "body_size"],
            },
        }
    ],
}

# The stack outputs every consumer may rely on.
OUTPUTS = frozenset(
    {
        "webhook_base_url",
        "webhook_urls",
        "providers",
        "provider_options",
        "provider_secret_arns",
        "queue_url",
        "queue_arn",
        "dlq_url",
        "dlq_arn",
        "table_name",
        "table_arn",
        "archive_bucket",
        "ingest_function_name",
        "process_function_name",
        "alarm_topic_arn",
        "region",
        "inline_body_limit",
        "max_receive_count",
        "dashboard_url",
        "api_domain_target",
        "bus_name",
        "bus_arn",
        "subscriber_queue_urls",
        "subscriber_queue_arns",
        "subscriber_dlq_urls",
        "subscriber_dlq_arns",
        "subscriber_rules",
        "subscriber_targets",
        "subscriber_roles",
        "subscriber_http",
        "publish_dlq_url",
        "publish_dlq_arn",
        "publish_function_name",
        "publish_match_paths",
    }
)
