"""aws-sns: RSA signatures (versions 1 and 2) with the certificate SNS names, fetched only from
the SNS host of an allowed topic's region; subscriptions confirmed for listed topics only."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.handlers.pubkey import Ingest
from tests.handlers.sns_sender import CERT_URL, TOPIC, Opener, certificate, encode, message
from webhooks import keys
from webhooks.environ import SettingsError
from webhooks.providers import parse
from webhooks.schemes import sns

SIGNED_AT = "2026-11-28T17:00:00.000Z"  # NOW in tests/handlers/pubkey.py
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SUBSCRIBE_URL = (
    f"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=t1"
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def opener(monkeypatch: pytest.MonkeyPatch) -> Iterator[Opener]:
    served = Opener({CERT_URL: certificate(KEY), SUBSCRIBE_URL: b"<ConfirmSubscriptionResponse/>"})
    clock = Clock()
    served.clock = clock  # type: ignore[attr-defined]
    monkeypatch.setattr(keys, "CACHE", keys.KeyCache(opener=served, clock=clock))
    monkeypatch.setattr(sns, "_confirmed", {})
    sns._certificate_key.cache_clear()
    yield served


def ingest(topics: str = TOPIC) -> Ingest:
    return Ingest({"sns": {"scheme": "aws-sns", "topic_arns": topics}})


def post(stack: Ingest, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    status, text = stack.post("sns", encode(body), {"x-amz-sns-message-type": body["Type"]})
    return status, json.loads(text)


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize("subject", ["order.created", None])
def test_a_notification_is_stored_under_its_message_id(
    opener: Opener, version: str, subject: str | None
) -> None:
    stack = ingest()
    body = message(key=KEY, version=version, timestamp=SIGNED_AT, subject=subject)
    assert post(stack, body) == (202, {"delivery_id": body["MessageId"]})
    [queued] = stack.queue.sent
    assert (queued["delivery_id"], queued["event_type"]) == (body["MessageId"], subject or "")
    assert opener.requested == [CERT_URL]


def test_the_certificate_is_fetched_once_per_container(opener: Opener) -> None:
    stack = ingest()
    for n in range(3):
        body = message(key=KEY, timestamp=SIGNED_AT, message_id=f"m-{n}")
        assert post(stack, body)[0] == 202
    assert opener.requested == [CERT_URL]


@pytest.mark.parametrize(
    "change",
    [
        {"Message": '{"order": 43}'},
        {"MessageId": "another"},
        {"Subject": "order.deleted"},
        {"Timestamp": "2026-11-28T17:00:01.000Z"},
        {"Type": "SubscriptionConfirmation"},
        {"SignatureVersion": "1"},
    ],
)
def test_a_changed_field_is_refused_and_not_stored(opener: Opener, change: dict[str, str]) -> None:
    stack = ingest()
    body = {**message(key=KEY, timestamp=SIGNED_AT), **change}
    status, _ = stack.post("sns", encode(body), {})
    assert status == 401
    assert stack.queue.sent == []


def test_a_message_signed_by_another_key_is_refused(opener: Opener) -> None:
    stack = ingest()
    assert post(stack, message(key=OTHER_KEY, timestamp=SIGNED_AT)) == (
        401,
        {"error": "invalid signature"},
    )


def test_a_message_from_an_unlisted_topic_is_refused_without_a_fetch(opener: Opener) -> None:
    stack = ingest()
    body = message(key=KEY, topic="arn:aws:sns:eu-west-1:123456789012:other", timestamp=SIGNED_AT)
    assert post(stack, body) == (401, {"error": "topic not allowed"})
    assert opener.requested == []


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.eu-west-1.amazonaws.com.evil.example/SimpleNotificationService-1.pem",
        "https://evil.example/SimpleNotificationService-1.pem",
        "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",  # other region
        "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-1.pem",
        "https://user@sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.txt",
        "file:///etc/passwd",
        "https://[::1/x.pem",
    ],
)
def test_a_certificate_url_off_the_sns_host_is_refused_before_any_fetch(
    opener: Opener, url: str
) -> None:
    stack = ingest()
    body = message(key=KEY, cert_url=url, timestamp=SIGNED_AT)
    assert post(stack, body) == (401, {"error": "signing certificate URL not allowed"})
    assert opener.requested == []
    assert stack.queue.sent == []


def test_a_certificate_fetch_failure_is_a_503_and_nothing_is_stored(opener: Opener) -> None:
    stack = ingest()
    url = CERT_URL.replace("0123456789abcdef", "fedcba9876543210")
    status, answer = post(stack, message(key=KEY, cert_url=url, timestamp=SIGNED_AT))
    assert (status, answer) == (503, {"error": "sender keys unavailable"})
    assert stack.queue.sent == []


def test_a_flood_of_new_certificate_urls_costs_one_fetch_per_interval(opener: Opener) -> None:
    stack = ingest()
    for n in range(20):
        url = CERT_URL.replace("0123456789abcdef", f"{n:016x}")
        status, _ = post(stack, message(key=KEY, cert_url=url, timestamp=SIGNED_AT))
        assert status == 503
    assert len(opener.requested) == 1
    opener.clock.now += keys.MISS_INTERVAL_SECONDS  # type: ignore[attr-defined]
    assert post(stack, message(key=KEY, timestamp=SIGNED_AT))[0] == 202
    assert len(opener.requested) == 2


def test_a_subscription_to_a_listed_topic_is_confirmed_and_not_stored(opener: Opener) -> None:
    stack = ingest()
    body = message("SubscriptionConfirmation", key=KEY, timestamp=SIGNED_AT, token="t1")
    assert post(stack, body) == (200, {"subscription": "confirmed"})
    assert opener.requested == [CERT_URL, SUBSCRIBE_URL]
    assert stack.queue.sent == []


def test_a_replayed_subscription_confirmation_is_refused(opener: Opener) -> None:
    stack = ingest()
    body = message("SubscriptionConfirmation", key=KEY, timestamp=SIGNED_AT, token="t1")
    assert post(stack, body)[0] == 200
    assert post(stack, body) == (401, {"error": sns.STALE_CONFIRMATION})
    assert opener.requested.count(SUBSCRIBE_URL) == 1


def test_a_stale_subscription_confirmation_is_refused(opener: Opener) -> None:
    stack = ingest()
    old = "2026-11-28T15:59:59.000Z"  # more than the default hour before NOW
    body = message("SubscriptionConfirmation", key=KEY, timestamp=old, token="t1")
    assert post(stack, body) == (401, {"error": sns.STALE_CONFIRMATION})
    assert SUBSCRIBE_URL not in opener.requested


def test_a_subscription_to_another_topic_is_never_confirmed(opener: Opener) -> None:
    stack = ingest()
    other = "arn:aws:sns:eu-west-1:123456789012:other"
    body = message("SubscriptionConfirmation", key=KEY, topic=other, timestamp=SIGNED_AT)
    assert post(stack, body) == (401, {"error": "topic not allowed"})
    assert opener.requested == []


@pytest.mark.parametrize(
    "subscribe_url",
    [
        "https://evil.example/?Action=ConfirmSubscription&TopicArn=" + TOPIC,
        "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&TopicArn=" + TOPIC,
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:x",
    ],
)
def test_a_subscribe_url_elsewhere_is_refused_without_a_request(
    opener: Opener, subscribe_url: str
) -> None:
    stack = ingest()
    body = message(
        "SubscriptionConfirmation", key=KEY, timestamp=SIGNED_AT, subscribe_url=subscribe_url
    )
    assert post(stack, body) == (401, {"error": "SubscribeURL not allowed"})
    assert opener.requested == [CERT_URL]


def test_an_unsubscribe_confirmation_is_acknowledged_and_not_stored(opener: Opener) -> None:
    stack = ingest()
    body = message("UnsubscribeConfirmation", key=KEY, timestamp=SIGNED_AT)
    assert post(stack, body)[0] == 200
    assert stack.queue.sent == []
    assert SUBSCRIBE_URL not in opener.requested


def test_a_field_given_twice_is_refused(opener: Opener) -> None:
    stack = ingest()
    text = encode(message(key=KEY, timestamp=SIGNED_AT))
    doubled = text[:-1] + b', "Message": "other"}'
    assert stack.post("sns", doubled, {})[0] == 401


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({}, "topic_arns = None is not allowed; allowed: required with scheme aws-sns"),
        ({"topic_arns": "arn:aws:s3:::bucket"}, "arn:aws:sns:<region>"),
        ({"topic_arns": TOPIC, "key_origin": "http://127.0.0.1:1"}, "refused outside the local"),
    ],
)
def test_configuration_errors_name_the_option(options: dict[str, str], words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        parse(json.dumps({"s": {"scheme": "aws-sns", "secret_arn": "a", **options}}))


def test_the_key_origin_is_allowed_on_the_local_stack_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(keys.LOCAL_STACK_VARIABLE, "1")
    local = {"topic_arns": TOPIC, "key_origin": "http://127.0.0.1:8123"}
    parse(json.dumps({"s": {"scheme": "aws-sns", "secret_arn": "a", **local}}))
    with pytest.raises(SettingsError, match=r"127\.0\.0\.1"):
        remote = {**local, "key_origin": "https://keys.example"}
        parse(json.dumps({"s": {"scheme": "aws-sns", "secret_arn": "a", **remote}}))
