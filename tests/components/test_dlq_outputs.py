"""Every dead-letter queue is reachable from the outputs: `ops dlq --queue` needs the ARNs."""

from tests.components.mockstack import MockedStack, built_stack


def test_subscriber_and_publish_queue_arns_are_outputs() -> None:
    subs: MockedStack = built_stack("subscribers")
    queues = {q.state["url"]: q.state["arn"] for q in subs.of_type("aws:sqs/queue:Queue")}
    urls, dlq_urls = subs.outputs["subscriber_queue_urls"], subs.outputs["subscriber_dlq_urls"]
    assert subs.outputs["subscriber_queue_arns"] == {n: queues[u] for n, u in urls.items()}
    assert subs.outputs["subscriber_dlq_arns"] == {n: queues[u] for n, u in dlq_urls.items()}
    assert set(subs.outputs["subscriber_dlq_arns"]) == set(subs.outputs["subscriber_rules"])
    assert subs.outputs["publish_dlq_arn"] == queues[subs.outputs["publish_dlq_url"]]
