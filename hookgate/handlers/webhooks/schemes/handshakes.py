"""The handshakes some senders make before (or besides) their deliveries, answered at once and
never stored: the family of a sender that has one builds it here (`build`), so this module is
imported only by a function with such a provider.

- `meta` (GET): `hub.mode=subscribe`, `hub.verify_token` equal to the provider's verify token,
  answered with `hub.challenge` as text (a wrong token is a 403).
- `dropbox` (GET): `?challenge=…` echoed as text, with `X-Content-Type-Options: nosniff`.
- `okta` (GET): the `X-Okta-Verification-Challenge` header, with the provider's token, answered
  `{"verification": <challenge>}`.
- `zoom` (POST): a signed `endpoint.url_validation` event, answered with its `plainToken` and
  the hex HMAC-SHA256 of it under the current secret (`encryptedToken`).
- `twitch` (POST): a signed `webhook_callback_verification` message, answered with its
  `challenge` as text.
- `microsoft-graph` (POST): `?validationToken=…` (URL-decoded) echoed as text.
- `intercom` (HEAD): the URL check Intercom makes when an endpoint is saved, answered 200.
- `woocommerce` (POST): the unsigned ping a store sends when a webhook is saved, a form body
  `webhook_id=<digits>` and no signature, answered 200 with no body (WooCommerce requires 200).

A challenge longer than `MAX_CHALLENGE` is refused (400): a handshake echoes only small tokens.
A handshake whose request must be signed is verified first: the Zoom answer is an HMAC under
the secret, and must never be computed over text an unauthenticated caller chose.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from urllib.parse import parse_qs

from ..delivery import Answer, UnreadableDelivery, json_object, object_field, optional_text
from ..envelope import json_string
from ..request import call_of
from .base import Handshake, Headers, Keys

MAX_CHALLENGE = 1024
"""Characters of a challenge the receiver echoes; more is not a handshake (400)."""

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
Verify = Callable[[Headers, bytes, Keys, int], "str | None"]


def _error(status: int, reason: str) -> Answer:
    return Answer(status, JSON, f'{{"error": {json_string(reason)}}}')


def _query(headers: Headers) -> dict[str, list[str]]:
    return parse_qs(call_of(headers).query, keep_blank_values=True)


def _one(query: dict[str, list[str]], name: str) -> str | None:
    """The parameter's single value; None when absent or given twice."""
    values = query.get(name)
    return values[0] if values is not None and len(values) == 1 else None


def _echo(challenge: str | None, content_type: str = TEXT) -> Answer:
    if not challenge or len(challenge) > MAX_CHALLENGE:
        return _error(400, f"challenge missing or longer than {MAX_CHALLENGE} characters")
    return Answer(200, content_type, challenge)


def build(kind: str, verify: Verify, verify_token: str | None) -> Handshake:
    """The `Handshake` named `kind`; `verify` checks a request's signature or token."""

    def meta(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        query = _query(headers)
        if _one(query, "hub.mode") != "subscribe":
            return None
        token = _one(query, "hub.verify_token") or ""
        if verify_token is None or not hmac.compare_digest(
            token.encode("utf-8", "surrogatepass"), verify_token.encode()
        ):
            return _error(403, "wrong hub.verify_token")
        return _echo(_one(query, "hub.challenge"))

    def dropbox(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        query = _query(headers)
        if "challenge" not in query:
            return None
        return _echo(_one(query, "challenge"))

    def okta(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        challenge = headers.get("x-okta-verification-challenge")
        if challenge is None:
            return None
        reason = verify(headers, body, keys, now)
        if reason:
            return _error(401, reason)
        if not challenge or len(challenge) > MAX_CHALLENGE:
            return _echo(challenge)
        return Answer(200, JSON, f'{{"verification": {json_string(challenge)}}}')

    def zoom(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        if b"endpoint.url_validation" not in body:
            return None
        try:
            event = json_object(body)
        except UnreadableDelivery:
            return None
        if optional_text(event, "event") != "endpoint.url_validation":
            return None
        reason = verify(headers, body, keys, now)
        if reason:
            return _error(401, reason)
        payload = object_field(event, "payload")
        token = optional_text(payload, "plainToken") if payload is not None else ""
        if not token or len(token) > MAX_CHALLENGE:
            return _echo(token)
        encrypted = hmac.new(keys[0], token.encode(), "sha256").hexdigest()
        answer = f'{{"plainToken": {json_string(token)}, "encryptedToken": "{encrypted}"}}'
        return Answer(200, JSON, answer)

    def twitch(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        if headers.get("twitch-eventsub-message-type") != "webhook_callback_verification":
            return None
        reason = verify(headers, body, keys, now)
        if reason:
            return _error(401, reason)
        try:
            challenge = optional_text(json_object(body), "challenge")
        except UnreadableDelivery as error:
            return _error(400, str(error))
        return _echo(challenge)

    def microsoft_graph(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        query = _query(headers)
        if "validationToken" not in query:
            return None
        return _echo(_one(query, "validationToken"))

    def woocommerce(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        head, _, digits = body.partition(b"=")
        if head != b"webhook_id" or not digits.isdigit() or len(body) > 64:
            return None
        return Answer(200, TEXT, "")

    def intercom(headers: Headers, body: bytes, keys: Keys, now: int) -> Answer | None:
        return Answer(200, TEXT, "")

    kinds = {
        "meta": ("GET", meta),
        "dropbox": ("GET", dropbox),
        "okta": ("GET", okta),
        "zoom": ("POST", zoom),
        "twitch": ("POST", twitch),
        "microsoft-graph": ("POST", microsoft_graph),
        "woocommerce": ("POST", woocommerce),
        "intercom": ("HEAD", intercom),
    }
    method, answer = kinds[kind]
    return Handshake(kind, method, answer)
