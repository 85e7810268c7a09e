"""`api.kind: functionUrl` on the local stack: the declared function URL is served at the local
server's root, every path reaching the ingest function with a function URL's payload-2.0 event
(no `pathParameters`), the provider taken from `rawPath`."""

import hashlib
import json
import uuid

from local import LocalStack
from tests.local.test_local_stack import github_delivery, post, stored_item

FUNCTION_URL = {
    "api.kind": "functionUrl",
    # The dev file's stage throttling does not apply to a function URL: unset it.
    "api.throttlingRateLimit": None,
    "api.throttlingBurstLimit": None,
    "ingest.reservedConcurrency": 4,
}


def test_function_url_front_door_stores_signed_deliveries_and_rejects_forged(tmp_path):
    with LocalStack.start(stack="dev", overrides=FUNCTION_URL, state_dir=tmp_path) as stack:
        statuses = {r["type"]: r["status"] for r in stack.declaration["resources"]}
        assert statuses["aws:lambda/functionUrl:FunctionUrl"] == "recorded"
        assert not any(typ.startswith("aws:apigatewayv2/") for typ in statuses)
        assert stack.declaration["function_urls"][0]["authorizationType"] == "NONE"
        out = stack.outputs
        assert out["webhook_base_url"] == f"{stack.api_url}/webhooks"
        assert out["webhook_urls"]["github"] == f"{stack.api_url}/webhooks/github"

        delivery_id = str(uuid.uuid4())
        body = json.dumps({"ref": "refs/heads/main"}).encode()
        status, answer = github_delivery(stack, body, delivery_id=delivery_id)
        assert status == 202, answer
        item = stored_item(stack, "github", delivery_id)
        assert item is not None and item["body_sha256"]["S"] == hashlib.sha256(body).hexdigest()

        forged_id = str(uuid.uuid4())
        status, _ = github_delivery(stack, body, secret="wrong", delivery_id=forged_id)
        assert status == 401
        assert stored_item(stack, "github", forged_id, timeout=2) is None
        # Every path reaches the function: the handler answers an unknown provider itself.
        status, answer = post(f"{stack.api_url}/webhooks/nobody", b"{}", {})
        assert status == 404 and answer != {"message": "Not Found"}, answer
