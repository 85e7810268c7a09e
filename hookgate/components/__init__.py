"""Pulumi components of the webhook pipeline, one per module, plus the stack settings."""
