"""A shared token (scheme `token`, and the family of the named senders that do not sign): the
secret itself in a named header, or HTTP Basic credentials.

- `token_header` (default `authorization`) carries `token_prefix` + the secret (e.g.
  `X-Gitlab-Token: <secret>`, `Authorization: Bearer <secret>`), compared as bytes;
- with `basic`, `Authorization: Basic base64(user:password)`, the secret being `user:password`.

Every listed secret is accepted (rotation). Comparisons are of the SHA-256 digests with
`hmac.compare_digest`, so neither the content nor the length of a secret shows in the time
taken. Nothing covers the body: dedupe is by content unless told otherwise, and the delivery id
is a configured header's or a JSON body field's value, else the body's SHA-256.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from functools import partial
from typing import Any, Final

from .. import Record
from ..delivery import Delivery, identify
from ..envelope import DEDUPE_BY_CONTENT
from ..signatures import INVALID_SIGNATURE, MALFORMED_SIGNATURE, MISSING_SIGNATURE
from .base import (
    ACCEPTED_OPTION,
    About,
    Handshake,
    Headers,
    Keys,
    Option,
    Scheme,
    dedupe_option,
    named_handshake,
)

HANDSHAKES = ("none", "okta")

OPTIONS = (
    Option("token_header", "text", default="authorization", lower=True),
    Option("token_prefix", "prefix", default="", description="text before the token"),
    Option("basic", "choice", default="no", choices=("no", "yes")),
    Option("delivery_id_header", "text", lower=True),
    Option("delivery_id_field", "text", description="the JSON body's field holding the id"),
    Option("event_type_header", "text", lower=True),
    Option("event_type_field", "text", description="the JSON body's field holding the type"),
    Option("handshake", "choice", default="none", choices=HANDSHAKES),
    ACCEPTED_OPTION,
    dedupe_option(DEDUPE_BY_CONTENT),
)


class TokenOptions(Record):
    __slots__ = (
        "accepted",
        "basic",
        "delivery_id_field",
        "delivery_id_header",
        "event_type_field",
        "event_type_header",
        "handshake",
        "sources",
        "token_header",
        "token_prefix",
    )

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.basic: Final = values["basic"] == "yes"
        self.token_header: Final[str] = "authorization" if self.basic else values["token_header"]
        self.token_prefix: Final[str] = values["token_prefix"]
        self.delivery_id_header: Final[str | None] = values["delivery_id_header"]
        self.delivery_id_field: Final[str | None] = values["delivery_id_field"]
        self.event_type_header: Final[str | None] = values["event_type_header"]
        self.event_type_field: Final[str | None] = values["event_type_field"]
        self.sources: Final = (
            self.delivery_id_header,
            self.delivery_id_field,
            self.event_type_header,
            self.event_type_field,
        )
        """Where the delivery id and the event type are (`delivery.identify`)."""
        self.handshake: Final[str] = values["handshake"]
        self.accepted: Final[str] = values["accepted"]


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


def presented(options: TokenOptions, headers: Headers) -> tuple[bytes, str | None]:
    """The credential the request presents, or the 401 reason."""
    value = headers.get(options.token_header)
    if not value:
        return b"", MISSING_SIGNATURE
    if options.basic:
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            return b"", MALFORMED_SIGNATURE
        try:
            return base64.b64decode(encoded.strip(), validate=True), None
        except (binascii.Error, ValueError):
            return b"", MALFORMED_SIGNATURE
    if not value.startswith(options.token_prefix):
        return b"", MALFORMED_SIGNATURE
    return value[len(options.token_prefix) :].encode("utf-8", "surrogatepass"), None


def verify(
    options: TokenOptions, headers: Headers, body: bytes, keys: Keys, now: int
) -> str | None:
    credential, reason = presented(options, headers)
    if reason:
        return reason
    given = _digest(credential)
    matched = False
    for key in keys:  # every key compared: the time taken does not say which one matched
        matched |= hmac.compare_digest(given, _digest(key))
    return None if matched else INVALID_SIGNATURE


def describe(options: TokenOptions, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    return identify(headers, body, body_sha256, options.sources)


def handshake(options: TokenOptions) -> Handshake | None:
    return named_handshake(options.handshake, partial(verify, options))


def check_secret(secret: str) -> bytes:
    if not secret:
        raise ValueError("token is empty")
    return secret.encode()


def basic_secret(secret: str) -> bytes:
    """A Basic secret is `user:password`."""
    if ":" not in secret or secret.startswith(":"):
        raise ValueError("a Basic secret is `user:password`")
    return secret.encode()


def development_basic_secret(entropy: bytes) -> str:
    return f"dev:{entropy.hex()}"


SCHEME: Scheme[TokenOptions] = Scheme(
    "token",
    TokenOptions,
    verify,
    describe,
    options=OPTIONS,
    check_secret=check_secret,
    handshake=handshake,
    accepted=lambda options: options.accepted,
)

FAMILY = "token"

PRESETS: dict[str, dict[str, Any]] = {
    "basic": {
        "about": About(
            FAMILY,
            "nothing: `Authorization: Basic base64(user:password)`, the secret `user:password`",
            "https://www.rfc-editor.org/rfc/rfc7617",
            "RFC 7617's example",
        ),
        "fixed": {"basic": "yes"},
        "settable": (
            "delivery_id_header",
            "delivery_id_field",
            "event_type_header",
            "event_type_field",
        ),
        "signing_key": basic_secret,
        "development_secret": development_basic_secret,
    },
    "auth0": {
        "about": About(
            FAMILY,
            "nothing: the stream's Authorization token in `Authorization`, as typed",
            "https://auth0.com/docs/customize/log-streams/custom-log-streams",
            "Auth0 CLI documentation's example value",
        ),
        "settable": ("token_prefix",),
    },
    "datadog": {
        "about": About(
            FAMILY,
            "nothing: the custom header the webhook sends (default `Authorization`), "
            "its value the secret",
            "https://docs.datadoghq.com/integrations/webhooks/",
            "the documented custom-header configuration (nothing is signed)",
        ),
        "settable": (
            "token_header",
            "token_prefix",
            "delivery_id_field",
            "event_type_field",
        ),
    },
    "gitlab": {
        "about": About(
            FAMILY,
            "nothing: the secret token in `X-Gitlab-Token`",
            "https://docs.gitlab.com/user/project/integrations/webhooks/",
            "the documented header (nothing is signed)",
        ),
        "fixed": {
            "token_header": "x-gitlab-token",
            "delivery_id_header": "idempotency-key",
            "event_type_header": "x-gitlab-event",
        },
    },
    "okta": {
        "about": About(
            FAMILY,
            "nothing: the event hook's secret in the header it names (`Authorization`)",
            "https://developer.okta.com/docs/api/openapi/okta-management/management/tag/EventHook/",
            "Okta support's verification request",
            'GET `X-Okta-Verification-Challenge` answered `{"verification": ...}`',
        ),
        "fixed": {
            "handshake": "okta",
            "delivery_id_field": "eventId",
            "event_type_field": "eventType",
        },
        "settable": ("token_header",),
    },
    "postmark": {
        "about": About(
            FAMILY,
            "nothing: HTTP Basic from the webhook URL's `user:password@`",
            "https://postmarkapp.com/developer/webhooks/webhooks-overview",
            "requests 2.x (_basic_auth_str)",
        ),
        "fixed": {"basic": "yes", "event_type_field": "RecordType", "accepted": "json-200"},
        "signing_key": basic_secret,
        "development_secret": development_basic_secret,
    },
}
"""The named senders of this family: their option values (`schemes.base.preset`)."""
