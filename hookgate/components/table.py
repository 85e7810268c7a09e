"""The events table: one item per event, keyed by the sender's id or its bytes (stored once)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from hookgate.components.settings import TableSettings


@dataclass(frozen=True)
class WebhookTableArgs:
    table: TableSettings
    table_name: str
    tags: dict[str, str]


class WebhookTable(pulumi.ComponentResource):
    """On-demand DynamoDB table with the contract's key schema, GSI `by_provider` and TTL.

    With `deletion_protection`, the table (only the table: `protect` is inherited by children)
    is also protected in Pulumi, so neither AWS nor `pulumi destroy` can drop stored events.
    """

    table: aws.dynamodb.Table

    def __init__(
        self, name: str, args: WebhookTableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("webhooks:table:WebhookTable", name, None, opts)
        self.table = aws.dynamodb.Table(
            f"{name}-events",
            name=args.table_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key="pk",
            attributes=[
                aws.dynamodb.TableAttributeArgs(name="pk", type="S"),
                aws.dynamodb.TableAttributeArgs(name="provider", type="S"),
                aws.dynamodb.TableAttributeArgs(name="received_at", type="S"),
            ],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name="by_provider",
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                            attribute_name="provider", key_type="HASH"
                        ),
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                            attribute_name="received_at", key_type="RANGE"
                        ),
                    ],
                    projection_type="INCLUDE",
                    non_key_attributes=["delivery_id", "event_type", "body_size"],
                )
            ],
            ttl=aws.dynamodb.TableTtlArgs(attribute_name="expires_at", enabled=True),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(
                enabled=args.table.point_in_time_recovery
            ),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True),
            deletion_protection_enabled=args.table.deletion_protection,
            # The outbox: the publish function reads every new item from the stream.
            stream_enabled=True,
            stream_view_type="NEW_IMAGE",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.table.deletion_protection),
        )
        self.table_name = self.table.name
        self.table_arn = self.table.arn
        self.stream_arn = self.table.stream_arn
        self.register_outputs(
            {
                "table_name": self.table_name,
                "table_arn": self.table_arn,
                "stream_arn": self.stream_arn,
            }
        )
