"""Item 1: signature verification per scheme, ours against the official library and the floor.

The floor is the least any verifier must do: one `hmac.new(key, message).digest()` and one
`compare_digest` over the same bytes the sender signs (`ops.signing.signed_message`), already
assembled. Ours gets the request as the handler sees it (lower-case headers, raw body, decoded
keys); the official libraries get what their documentation says to pass (raw body, header,
secret), with JSON parsing turned off. Beyond one scheme per family, `WITH_LIBRARY` are the named
senders whose official library is a test oracle (tests/handlers/test_sender_oracles.py), timed
against it.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable

import standardwebhooks
import stripe

from ops import signing
from webhooks import providers
from webhooks.request import Call

from . import payloads
from .stats import paired_ratios, summarize
from .timing import interleaved_ns

SCHEMES = (
    "github",
    "stripe",
    "shopify",
    "slack",
    "standard",
    "hmac",
    "paddle",
    "gitlab",
    "mailgun",
)
"""One scheme per family module (`schemes.BUILT_IN`): the first six schemes, the composed HMAC
family as a named sender uses it (Paddle: a `key=value` list over `{ts}:{body}`), the shared
token (GitLab) and the signature in the body (Mailgun)."""
WITH_LIBRARY = ("clerk", "resend", "openai", "replicate", "square", "hubspot", "coinbase-commerce")
"""Named senders timed against their official library (Mailgun's is in `SCHEMES`). Left out:
Twilio (signs a form, not these JSON bodies) and Adyen (signs a few fields of the body, so
the floor of a whole-body HMAC does not apply)."""
SIZES = {"1 KiB": 1024, "1 MiB": 1024 * 1024}
DELIVERY_ID = "3f1c1a52-7a4e-4b7e-9d36-2b8f1c5e9a01"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench"  # noqa: S105 - an ARN, not a secret


def floor(scheme: str, body: bytes, headers: dict[str, str]) -> Callable[[], object]:
    key = payloads.signing_key(scheme)
    message = signing.signed_message(scheme, body, headers)
    expected = hmac.new(key, message, hashlib.sha256).digest()

    def floor() -> bool:
        return hmac.compare_digest(hmac.new(key, message, hashlib.sha256).digest(), expected)

    return floor


def _ours(scheme: str, body: bytes, headers: dict[str, str], now: int) -> Callable[[], object]:
    provider = providers.build(scheme, scheme, SECRET_ARN, {})
    keys = (payloads.signing_key(scheme),)
    headers = Call(headers)  # as called: Square and HubSpot sign the URL
    headers.url = signing.DEFAULT_URL
    reason = provider.verify(headers, body, keys, now)
    if reason is not None:
        raise RuntimeError(f"{scheme}: our verifier rejects the bench request: {reason}")
    if provider.verify(headers, body, (b"not-the-bench-key",), now) is None:
        raise RuntimeError(f"{scheme}: our verifier accepts another key's request")
    return lambda: provider.verify(headers, body, keys, now)


def _official(scheme: str, body: bytes, headers: dict[str, str]) -> Callable[[], object] | None:
    if scheme == "stripe":
        header, secret = headers["stripe-signature"], payloads.SECRETS["stripe"]
        verify_header = stripe.WebhookSignature.verify_header
        verify_header(body, header, secret, 300)
        return lambda: verify_header(body, header, secret, 300)
    if scheme == "standard":
        webhook = standardwebhooks.Webhook(payloads.SECRETS["standard"])
        webhook.verify(body, headers, json_parse=False)
        return lambda: webhook.verify(body, headers, json_parse=False)
    if scheme in WITH_LIBRARY or scheme == "mailgun":
        verify = _sender_library(scheme, body, headers)
        if verify() is False:  # the others raise
            raise RuntimeError(f"{scheme}: the official library rejects the bench request")
        return verify
    return None


def _sender_library(scheme: str, body: bytes, headers: dict[str, str]) -> Callable[[], object]:
    """The sender's official library verifying the request (imported here: test-only)."""
    secret, text = payloads.SECRETS[scheme], body.decode()
    if scheme in ("clerk", "resend"):  # Svix's own library (the resend SDK wraps the same check)
        import svix.webhooks

        webhook = svix.webhooks.Webhook(secret)
        return lambda: webhook.verify(body, headers)
    if scheme == "openai":
        import openai

        client = openai.OpenAI(api_key="unused", webhook_secret=secret)
        return lambda: client.webhooks.verify_signature(body, headers)
    if scheme == "replicate":
        from replicate.webhook import Webhooks, WebhookSigningSecret

        key = WebhookSigningSecret(key=secret)
        return lambda: Webhooks.validate(headers=headers, body=text, secret=key)
    if scheme == "square":
        from square.utils.webhooks_helper import verify_signature

        signature = headers["x-square-hmacsha256-signature"]
        return lambda: verify_signature(
            request_body=text,
            signature_header=signature,
            signature_key=secret,
            notification_url=signing.DEFAULT_URL,
        )
    if scheme == "hubspot":
        from hubspot.utils.signature import Signature

        signature, ts = headers["x-hubspot-signature-v3"], headers["x-hubspot-request-timestamp"]
        return lambda: Signature.is_valid(
            signature, secret, text, signing.DEFAULT_URL, signature_version="v3", timestamp=ts
        )
    if scheme == "coinbase-commerce":
        from coinbase_commerce.webhook import WebhookSignature

        signature = headers["x-cc-webhook-signature"]
        return lambda: WebhookSignature.verify_sig_header(text, signature, secret)
    from mailgun.security import SecurityGuard  # Mailgun

    proof = json.loads(body)["signature"]
    token, ts, signature = proof["token"], proof["timestamp"], proof["signature"]
    return lambda: SecurityGuard.verify_webhook(secret, token, ts, signature)


def run(repeat: int) -> list[dict[str, object]]:
    """One row per scheme and size: ours, official library (if any) and floor, in ns per call.

    Ratios are medians of per-repetition ratios (the three run in turn in each repetition).
    """
    rows = []
    for scheme in SCHEMES + WITH_LIBRARY:
        for label, size in SIZES.items():
            now = int(time.time())  # signed now: the official libraries check the clock
            body, headers = payloads.signed_request(scheme, size, now, DELIVERY_ID, seed=size)
            fns = {
                "ours": _ours(scheme, body, headers, now),
                "floor": floor(scheme, body, headers),
            }
            official = _official(scheme, body, headers)
            if official:
                fns["official"] = official
            samples = interleaved_ns(fns, repeat)
            row: dict[str, object] = {"scheme": scheme, "size": label}
            for name, values in samples.items():
                row[f"{name}_ns"] = summarize(values).as_dict()
            row["ours_vs_floor"] = paired_ratios(samples["ours"], samples["floor"]).as_dict()
            row["ours_vs_official"] = (
                paired_ratios(samples["ours"], samples["official"]).as_dict() if official else None
            )
            rows.append(row)
    return rows
