"""What the public-key families share: the list of public keys a provider option holds."""

from __future__ import annotations

PUBLIC_KEY_LIMIT = 4
"""Public keys one provider may list (rotation needs two); more is a config error, so a request
never costs more than this many signature checks."""


def split_keys(text: str) -> list[str]:
    """The comma-separated keys of a `publicKey` option; `ValueError` when none or too many."""
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise ValueError("an empty key between commas")
    if len(parts) > PUBLIC_KEY_LIMIT:
        raise ValueError(f"more than {PUBLIC_KEY_LIMIT} keys")
    return parts
