"""Queue and dead-letter queue depth, as SQS approximates it."""

from dataclasses import dataclass

DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


@dataclass(frozen=True)
class Depth:
    """Approximate message counts of one queue: ready, in flight, delayed."""

    visible: int
    not_visible: int
    delayed: int

    @property
    def total(self) -> int:
        return self.visible + self.not_visible + self.delayed


def depth(sqs, queue_url: str) -> Depth:
    """The three approximate counts of a queue (eventually consistent, as SQS says)."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=list(DEPTH_ATTRIBUTES)
    )["Attributes"]
    visible, not_visible, delayed = (int(attributes.get(name, 0)) for name in DEPTH_ATTRIBUTES)
    return Depth(visible=visible, not_visible=not_visible, delayed=delayed)
