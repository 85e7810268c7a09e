"""AWS at the boto3 boundary, in memory: the handlers run unchanged, only the network is gone.

Two depths, both reached by replacing `boto3.client` for the handler modules:

- `FakeClients`: plain objects with the methods the handlers call (`send_message`, `put_item`,
  `put_object`, `get_secret_value`); the figure is the handler's own code.
- `NetworkFake`: real botocore clients whose HTTP send is answered in memory (the `before-send`
  event), so parameter validation, serialisation, SigV4 signing and response parsing count too.

Both record what the handlers sent, so the benchmark measures message and item sizes as well.
"""

import hashlib
import io
import json
import urllib.parse
from collections.abc import Iterator

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.response import StreamingBody

from . import payloads

REGION = "us-east-1"
ACCOUNT = "123456789012"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/webhooks-queue-bench"
ARCHIVE_BUCKET = "webhooks-archive-bench"
TABLE_NAME = "webhooks-events-bench"


def secret_arn(provider: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:webhooks/{provider}"


def secret_string(provider: str) -> str:
    return json.dumps({"secrets": [payloads.SECRETS[provider]]})


class Recorder:
    """What the handlers sent: message bodies, items, archived objects."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.items: list[dict] = []
        self.objects: dict[str, bytes] = {}
        self.keep = True  # off while timing, so loops don't grow memory

    def message(self, body: str) -> None:
        if self.keep:
            self.messages.append(body)

    def item(self, item: dict) -> None:
        if self.keep:
            self.items.append(item)


class FakeClients:
    """`boto3.client` replacement returning plain in-memory clients."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def __call__(self, service: str, *args: object, **kwargs: object) -> object:
        return {
            "sqs": _FakeSQS,
            "s3": _FakeS3,
            "secretsmanager": _FakeSecrets,
            "dynamodb": _FakeDynamoDB,
        }[service](self.recorder)


class _FakeSQS:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    def send_message(self, *, QueueUrl: str, MessageBody: str, **_: object) -> dict:
        self._recorder.message(MessageBody)
        return {"MessageId": "00000000-0000-4000-8000-000000000000"}


class _FakeS3:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: object) -> dict:
        if self._recorder.keep:
            self._recorder.objects[Key] = Body
        return {"ETag": '"0"'}

    def get_object(self, *, Bucket: str, Key: str, **_: object) -> dict:
        """The processor's check of a claim-checked body reads it back."""
        data = self._recorder.objects[Key]
        return {"Body": StreamingBody(io.BytesIO(data), len(data))}


class _FakeSecrets:
    def __init__(self, recorder: Recorder) -> None:
        pass

    def get_secret_value(self, *, SecretId: str, **_: object) -> dict:
        return {"SecretString": secret_string(SecretId.rpartition("/")[2])}


class _FakeDynamoDB:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    def put_item(self, *, TableName: str, Item: dict, **_: object) -> dict:
        self._recorder.item(Item)
        return {}

    def update_item(self, **_: object) -> dict:
        """A duplicate's delivery id added to its content-deduped event."""
        return {}


class _Body:
    """The `raw` of an `AWSResponse`: botocore reads it through `stream()`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._data

    def read(self, amount: int | None = None) -> bytes:
        """What a streamed response body (S3 GetObject) is read through."""
        size = len(self._data) if amount is None else amount
        chunk, self._data = self._data[:size], self._data[size:]
        return chunk


def _answer(recorder: Recorder, request: AWSPreparedRequest) -> AWSResponse:
    """The HTTP answer AWS would give to one prepared request of the services the handlers use."""
    target = request.headers.get("X-Amz-Target", b"")
    target = target.decode() if isinstance(target, bytes) else target
    json_headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target.endswith("SendMessage"):
        body = json.loads(request.body)["MessageBody"]
        recorder.message(body)
        md5 = hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()
        data = {"MessageId": "00000000-0000-4000-8000-000000000000", "MD5OfMessageBody": md5}
        return AWSResponse(request.url, 200, json_headers, _Body(json.dumps(data).encode()))
    if target.endswith("PutItem"):
        recorder.item(json.loads(request.body)["Item"])
        return AWSResponse(request.url, 200, json_headers, _Body(b"{}"))
    if target.endswith("UpdateItem"):  # a duplicate's id added to its content-deduped event
        return AWSResponse(request.url, 200, json_headers, _Body(b"{}"))
    if target.endswith("GetSecretValue"):
        arn = json.loads(request.body)["SecretId"]
        data = {"ARN": arn, "Name": arn, "SecretString": secret_string(arn.rpartition("/")[2])}
        headers = {"Content-Type": "application/x-amz-json-1.1"}
        return AWSResponse(request.url, 200, headers, _Body(json.dumps(data).encode()))
    if request.method == "PUT":  # S3 PutObject
        return AWSResponse(request.url, 200, {"ETag": '"0"'}, _Body(b""))
    if request.method == "GET":  # S3 GetObject: the processor's check of a claim-checked body
        key = urllib.parse.unquote(urllib.parse.urlsplit(request.url).path.lstrip("/"))
        stored = recorder.objects[key.partition("/")[2] if key.startswith(ARCHIVE_BUCKET) else key]
        headers = {"Content-Length": str(len(stored)), "ETag": '"0"'}
        return AWSResponse(request.url, 200, headers, _Body(stored))
    raise AssertionError(f"no fake answer for {request.method} {request.url} {target}")


class NetworkFake:
    """`boto3.client` replacement: real clients, HTTP answered in memory after signing."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._session = boto3.session.Session(
            aws_access_key_id="AKIDBENCHBENCHBENCH0",
            aws_secret_access_key="bench-secret-access-key",  # noqa: S106 - not a credential
            region_name=REGION,
        )
        self._session.events.register("before-send", self._send)

    def _send(self, request: AWSPreparedRequest, **_: object) -> AWSResponse:
        return _answer(self.recorder, request)

    def __call__(self, service: str, *args: object, **kwargs: object) -> object:
        kwargs.pop("endpoint_url", None)
        return self._session.client(service, *args, **kwargs)
