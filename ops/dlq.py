"""The stack's dead-letter queues: which queue `--queue` names, and depth as SQS approximates it."""

from dataclasses import dataclass

from ops.errors import OpsError
from ops.outputs import Outputs

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


@dataclass(frozen=True)
class QueuePair:
    """A dead-letter queue and the queue its messages go back to (None: not a queue)."""

    name: str
    dlq_url: str
    dlq_arn: str
    queue_url: str | None
    queue_arn: str | None
    no_queue: str = ""
    """Why there is no queue to move messages back to (when `queue_url` is None)."""


MAIN, PUBLISH = "main", "publish"


def resolve(stack: Outputs, name: str) -> QueuePair:
    """`--queue`: main (processor), publish (publisher) or a subscriber's name."""
    if name == MAIN:
        return QueuePair(
            name,
            stack.text("dlq_url"),
            stack.text("dlq_arn"),
            stack.text("queue_url"),
            stack.text("queue_arn"),
        )
    if name == PUBLISH:
        return QueuePair(
            name,
            stack.text("publish_dlq_url"),
            stack.text("publish_dlq_arn"),
            None,
            None,
            no_queue="the publish DLQ's messages name stream records, republished from the table",
        )
    dlq_urls = stack.mapping("subscriber_dlq_urls")
    if name not in dlq_urls:
        known = ", ".join([MAIN, PUBLISH, *sorted(dlq_urls)])
        raise OpsError(f"no queue {name!r}: --queue is one of {known}")
    queue_urls = stack.mapping("subscriber_queue_urls")
    queue_arns = stack.mapping("subscriber_queue_arns")
    dlq_arn = stack.mapping("subscriber_dlq_arns")[name]
    if name not in queue_urls:
        return QueuePair(
            name,
            dlq_urls[name],
            dlq_arn,
            None,
            None,
            no_queue=(
                f"subscriber {name!r} has its own target, not a queue of this stack: its DLQ"
                " holds what EventBridge could not deliver; send the events again with"
                f" `python -m ops events replay --provider P --subscriber {name} --since T`"
            ),
        )
    return QueuePair(name, dlq_urls[name], dlq_arn, queue_urls[name], queue_arns[name])
