"""Amazon SNS over HTTPS: RSA signatures checked with the certificate SNS names, fetched safely.

Docs: https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html (what to
check), https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message-verify-message-signature.html
(the string to sign), https://docs.aws.amazon.com/sns/latest/dg/http-subscription-confirmation-json.html
and https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html (the messages).

The body is the JSON message; `SignatureVersion` 1 signs its string with SHA1withRSA, 2 with
SHA256withRSA (PKCS #1 v1.5), base64 in `Signature`. The string is `<name>\\n<value>\\n` for, in
order, `Message`, `MessageId`, `Subject` (a notification's, when present), `SubscribeURL` (a
confirmation's), `Timestamp`, `Token` (a confirmation's), `TopicArn` and `Type`.

What is checked, in this order, so that nothing is fetched for a message we would refuse anyway:
1. `TopicArn` is one of the provider's `topicArns` (401 otherwise);
2. `SigningCertURL` is `https://sns.<region>.amazonaws.com/...pem` where `<region>` is the topic
   ARN's region (`webhooks.keys.check_url`), then the certificate is fetched (cached; a failure
   is a 503) and the signature verified;
3. a `SubscriptionConfirmation` is confirmed by a GET of its `SubscribeURL`, which must be on the
   same SNS host and confirm the same topic; one older than `toleranceSeconds`, or whose token
   this container confirmed already, is refused (a replay). A `Notification` is stored under its
   `MessageId` (signed); an `UnsubscribeConfirmation` is answered 200 and not stored.

Raw message delivery (a subscription attribute) sends the message without its signature: it
cannot be verified and is refused (missing signature).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from .. import Record, keys
from ..delivery import (
    COMMON_HEADERS,
    Answer,
    Delivery,
    UnreadableDelivery,
    delivery,
    json_object,
)
from ..envelope import DEDUPE_BY_DELIVERY_ID, json_string
from ..signatures import INVALID_SIGNATURE, MALFORMED_SIGNATURE, MISSING_SIGNATURE
from .base import (
    MAX_TOLERANCE_SECONDS,
    About,
    Handshake,
    Headers,
    Keys,
    Option,
    OptionError,
    Scheme,
    dedupe_option,
)

NOTIFICATION = "Notification"
SUBSCRIPTION = "SubscriptionConfirmation"
UNSUBSCRIBE = "UnsubscribeConfirmation"
_SIGNED = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION: (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    UNSUBSCRIBE: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_OPTIONAL = frozenset({"Subject"})
_HASHES = {"1": "SHA1", "2": "SHA256"}
TOPIC_NOT_ALLOWED = "topic not allowed"
CERTIFICATE_NOT_ALLOWED = "signing certificate URL not allowed"
STALE_CONFIRMATION = "stale or replayed subscription confirmation"
MAX_TOPIC_ARNS = 16
_CONFIRMED_LIMIT = 256  # confirmation tokens remembered per container (a replay is refused)
_REGION_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")

TOPIC_ARNS = Option(
    "topic_arns",
    "text",
    default=None,
    description="the SNS topic ARNs accepted (comma-separated); their subscriptions are confirmed",
)
TOLERANCE = Option(
    "tolerance_seconds",
    "integer",
    default=3600,
    low=1,
    high=MAX_TOLERANCE_SECONDS,
    description="how old a subscription confirmation may be, in seconds",
)
KEY_ORIGIN = Option(
    "key_origin",
    "text",
    default=None,
    description="test only (local stack): where certificates and confirmations are served",
)


def _topic_region(arn: str) -> str | None:
    """The region of `arn:aws:sns:<region>:<account>:<name>`, None when it is not one."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"] or not all(parts[3:]):
        return None
    region = parts[3]
    return region if _REGION_CHARACTERS.issuperset(region) and region[0] != "-" else None


class SnsOptions(Record):
    __slots__ = ("key_origin", "sources", "tolerance_seconds", "topics")

    def __init__(
        self, topics: frozenset[str], tolerance_seconds: int, key_origin: str | None
    ) -> None:
        self.topics: Final = topics
        self.tolerance_seconds: Final = tolerance_seconds
        self.key_origin: Final = key_origin
        self.sources: Final = {
            region: keys.Source(f"sns.{region}", host=f"sns.{region}.amazonaws.com")
            for region in {_topic_region(arn) for arn in topics}
            if region
        }
        """Per allowed region, the one host its certificates and confirmations come from."""


def _arns(text: str) -> list[str]:
    arns = [part.strip() for part in text.split(",")]
    if len(arns) > MAX_TOPIC_ARNS or not all(_topic_region(arn) for arn in arns):
        raise ValueError("not a list of SNS topic ARNs")
    return arns


def check(values: Mapping[str, Any], spell: Any) -> None:
    allowed = f"arn:aws:sns:<region>:<account>:<topic>, at most {MAX_TOPIC_ARNS}, comma-separated"
    text = values.get("topic_arns")
    if text is None:
        raise OptionError(spell("topic_arns"), None, f"required with scheme aws-sns: {allowed}")
    try:
        _arns(text)
    except ValueError:
        raise OptionError(spell("topic_arns"), text, allowed) from None
    origin = values.get("key_origin")
    if origin is not None:
        problem = keys.check_key_origin(origin)
        if problem:
            raise OptionError(spell("key_origin"), origin, problem)


def configure(values: Mapping[str, Any]) -> SnsOptions:
    return SnsOptions(
        frozenset(_arns(values["topic_arns"])), values["tolerance_seconds"], values["key_origin"]
    )


def _message(body: bytes) -> Mapping[str, Any] | None:
    try:
        message = json_object(body)
    except UnreadableDelivery:
        return None
    if getattr(message, "duplicates", frozenset()):
        return None  # a field given twice: which copy was signed is unknowable
    return message


def string_to_sign(message: Mapping[str, Any]) -> bytes | None:
    """What SNS signs of `message`; None when a field it signs is missing or not a string."""
    names = _SIGNED.get(message.get("Type", ""))
    if names is None:
        return None
    parts = []
    for name in names:
        value = message.get(name)
        if value is None and name in _OPTIONAL:
            continue
        if not isinstance(value, str):
            return None
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode()


@functools.lru_cache(maxsize=keys.MAX_ENTRIES)
def _certificate_key(pem: bytes) -> Any:
    """The RSA public key of a PEM certificate (parsed once per certificate and container)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = x509.load_pem_x509_certificate(pem).public_key()
    except ValueError:
        raise keys.KeysUnavailable(
            "sns: the signing certificate is not a PEM certificate"
        ) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise keys.KeysUnavailable("sns: the signing certificate has no RSA key")
    return key


def _sns_url(url: object, options: SnsOptions, region: str) -> str:
    """`url` when it is on the SNS host of `region` (or the local origin); else `KeyRefused`."""
    if not isinstance(url, str):
        raise keys.KeyRefused("no URL")
    return keys.check_url(url, options.sources[region], options.key_origin)


def verify(options: SnsOptions, headers: Headers, body: bytes, keys_: Keys, now: int) -> str | None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    message = _message(body)
    if message is None:
        return MALFORMED_SIGNATURE
    signature_text = message.get("Signature")
    if not signature_text:
        return MISSING_SIGNATURE
    topic = message.get("TopicArn")
    if topic not in options.topics:
        return TOPIC_NOT_ALLOWED
    kind = headers.get("x-amz-sns-message-type")
    if kind is not None and kind != message.get("Type"):
        return MALFORMED_SIGNATURE
    hash_name = _HASHES.get(message.get("SignatureVersion", ""))
    signed = string_to_sign(message)
    if hash_name is None or signed is None or not isinstance(signature_text, str):
        return MALFORMED_SIGNATURE
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (ValueError, binascii.Error):
        return MALFORMED_SIGNATURE
    region = _topic_region(topic) or ""
    try:
        url = _sns_url(message.get("SigningCertURL"), options, region)
    except keys.KeyRefused:
        return CERTIFICATE_NOT_ALLOWED
    if not urlsplit(url).path.endswith(".pem"):
        return CERTIFICATE_NOT_ALLOWED
    key = _certificate_key(keys.CACHE.get(url, options.sources[region]))
    try:
        key.verify(signature, signed, padding.PKCS1v15(), getattr(hashes, hash_name)())
    except InvalidSignature:
        return INVALID_SIGNATURE
    return None


def describe(options: SnsOptions, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    message = json_object(body)
    message_id = message.get("MessageId")
    if not isinstance(message_id, str) or not message_id:
        raise UnreadableDelivery("message has no MessageId")
    subject = message.get("Subject")
    event_type = subject if isinstance(subject, str) else ""
    return delivery(message_id, event_type, headers, (*COMMON_HEADERS, "x-amz-sns-message-type"))


_confirmed: dict[str, None] = {}
"""Confirmation tokens this container confirmed (insertion-ordered, bounded): a replay of one is
refused even within the tolerance."""


def _timestamp(text: object) -> float | None:
    if not isinstance(text, str) or not text.endswith("Z"):
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def subscription(options: SnsOptions) -> Handshake:
    """SNS's confirmations, answered only once their signature verifies and never stored: a
    subscription of a listed topic is confirmed (GET of its `SubscribeURL`), an unsubscription
    acknowledged. A notification (or a body that is not one of these) goes on as a delivery."""

    def answer(headers: Headers, body: bytes, keys_: Keys, now: int) -> Answer | None:
        message = _message(body)
        kind = message.get("Type") if message is not None else None
        if kind not in (SUBSCRIPTION, UNSUBSCRIBE) or message is None:
            return None
        reason = verify(options, headers, body, keys_, now)
        if reason:
            return _refused(reason)
        if kind == UNSUBSCRIBE:
            return Answer(200, "application/json", '{"unsubscribed": "acknowledged"}')
        token = message["Token"]
        signed_at = _timestamp(message.get("Timestamp"))
        if (
            signed_at is None
            or abs(now - signed_at) > options.tolerance_seconds
            or token in _confirmed
        ):
            return _refused(STALE_CONFIRMATION)
        topic = message["TopicArn"]
        region = _topic_region(topic) or ""
        try:
            url = _sns_url(message.get("SubscribeURL"), options, region)
        except keys.KeyRefused:
            return _refused("SubscribeURL not allowed")
        query = parse_qs(urlsplit(url).query)
        if query.get("Action") != ["ConfirmSubscription"] or query.get("TopicArn") != [topic]:
            return _refused("SubscribeURL not allowed")
        keys.CACHE.fetch(url, options.sources[region])
        _confirmed[token] = None
        while len(_confirmed) > _CONFIRMED_LIMIT:
            del _confirmed[next(iter(_confirmed))]
        return Answer(200, "application/json", '{"subscription": "confirmed"}')

    return Handshake("aws-sns", "POST", answer)


def _refused(reason: str) -> Answer:
    return Answer(401, "application/json", f'{{"error": {json_string(reason)}}}')


def _no_secret(secret: str) -> None:
    """Nothing of SNS's is secret: the provider's secret is not read."""


REQUIRES = ("cryptography",)
"""Imported on first use only; the functions' package carries it (components/packages.py)."""

SCHEMES: dict[str, Scheme[Any]] = {
    "aws-sns": Scheme(
        "aws-sns",
        configure,
        verify,
        describe,
        options=(TOPIC_ARNS, TOLERANCE, KEY_ORIGIN, dedupe_option(DEDUPE_BY_DELIVERY_ID)),
        check=check,
        check_secret=_no_secret,
        handshake=subscription,
        about=About(
            "sns",
            "the documented string of the message's fields, RSA (SignatureVersion 1: SHA1withRSA,"
            " 2: SHA256withRSA) with the certificate at `SigningCertURL`, fetched only from"
            " `sns.<region of a listed topic>.amazonaws.com`; only the `topicArns` listed",
            "https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html",
            "no official Python validator: messages signed by the tests from the documented"
            " string (tests/handlers/sns_sender.py, tests/handlers/test_pubkey_sns.py)",
            "`SubscriptionConfirmation` of a listed topic, verified, confirmed (GET of its"
            " `SubscribeURL` on the same SNS host; replays refused)",
        ),
    )
}
