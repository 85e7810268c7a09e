"""Item 1: signature verification per scheme, ours against the official library and the floor.

The floor is the least any verifier must do: one `hmac.new(key, message).digest()` and one
`compare_digest` over the same bytes the sender signs (`ops.signing.signed_message`), already
assembled. Ours gets the request as the handler sees it (lower-case headers, raw body, decoded
keys); the official libraries get what their documentation says to pass (raw body, header,
secret), with JSON parsing turned off.
"""

import hashlib
import hmac
import time
from collections.abc import Callable

import standardwebhooks
import stripe
from webhooks import providers

from ops import signing

from . import payloads
from .stats import paired_ratios, summarize
from .timing import interleaved_ns

SCHEMES = signing.shared_secret_schemes()
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
    reason = provider.verify(headers, body, keys, now)
    if reason is not None:
        raise RuntimeError(f"{scheme}: our verifier rejects the bench request: {reason}")
    forged = dict(headers)
    signature_header = signing.signature_header(scheme)
    forged[signature_header] = forged[signature_header][:-4] + "AAAA"
    if provider.verify(forged, body, keys, now) is None:
        raise RuntimeError(f"{scheme}: our verifier accepts a forged signature")
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
    return None


def run(repeat: int) -> list[dict[str, object]]:
    """One row per scheme and size: ours, official library (if any) and floor, in ns per call.

    Ratios are medians of per-repetition ratios (the three run in turn in each repetition).
    """
    rows = []
    for scheme in SCHEMES:
        for label, size in SIZES.items():
            now = int(time.time())  # signed now: the official libraries check the clock
            body = payloads.json_body(size, seed=size)
            headers = payloads.signed_headers(scheme, body, now, DELIVERY_ID)
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
