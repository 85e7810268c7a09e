"""How long the stack's queues keep messages: SQS's default for a queue being worked, its
maximum for a dead-letter queue, whose messages wait for a human (the pipeline's own queue and
DLQ default to them: `queue.retentionSeconds`, `queue.dlqRetentionSeconds` in settings.py)."""

QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
