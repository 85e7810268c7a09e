"""How long the stack's queues keep messages: SQS's default for a queue being worked, its
maximum for a dead-letter queue, whose messages wait for a human (the pipeline's own queue and
DLQ take these as their defaults; `queue.retentionSeconds`, `queue.dlqRetentionSeconds`)."""

QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
