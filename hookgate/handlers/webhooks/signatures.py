"""The primitives every signature scheme is built from: HMAC matching and timestamp checks.

Every verifier (`schemes/<scheme>.py`) takes the lower-cased request headers, the raw body bytes
exactly as received, the active signing keys (several during a rotation) and the current unix
time, and returns `None` when the delivery is authentic or one of the reasons below for the 401.
Digests are compared with `hmac.compare_digest`; signatures are never re-derived from
re-serialised JSON.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Sequence

MISSING_SIGNATURE = "missing signature"
MALFORMED_SIGNATURE = "malformed signature"
INVALID_SIGNATURE = "invalid signature"
MISSING_TIMESTAMP = "missing timestamp"
MALFORMED_TIMESTAMP = "malformed timestamp"
STALE_TIMESTAMP = "stale timestamp"

MAX_SIGNATURES = 16
"""Signature candidates one header may carry (rotation needs two or three); more is malformed,
so a huge header cannot make one request cost thousands of HMAC comparisons."""

_MAX_TIMESTAMP_DIGITS = 12  # unix seconds until year 33658; longer text is not a timestamp


def check_timestamp(text: str, now: int, tolerance: int) -> str | None:
    """`None` when `text` is unix seconds within `tolerance` of `now`, else the reason."""
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_TIMESTAMP_DIGITS):
        return MALFORMED_TIMESTAMP
    if abs(now - int(text)) > tolerance:
        return STALE_TIMESTAMP
    return None


def match_hex(
    keys: Sequence[bytes], message: bytes, algorithm: str, provided: Sequence[str]
) -> str | None:
    """`None` when one key's hex HMAC of `message` equals one of the `provided` signatures."""
    for key in keys:
        expected = hmac.digest(key, message, algorithm).hex()
        for candidate in provided:
            if hmac.compare_digest(expected, candidate):
                return None
    return INVALID_SIGNATURE


def match_base64(
    keys: Sequence[bytes], message: bytes, algorithm: str, provided: Sequence[str]
) -> str | None:
    """`None` when one key's base64 HMAC of `message` equals one of the `provided` signatures."""
    for key in keys:
        expected = base64.b64encode(hmac.digest(key, message, algorithm)).decode()
        for candidate in provided:
            if hmac.compare_digest(expected, candidate):
                return None
    return INVALID_SIGNATURE
