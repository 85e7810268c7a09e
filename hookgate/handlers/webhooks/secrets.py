"""Signing secrets from Secrets Manager, cached per Lambda container.

A fetch costs money and latency, so each provider's secret is fetched once and reused for
`SECRETS_REFRESH_SECONDS`; after that the next request fetches it again, so a rotated secret is
picked up without a redeploy. The secret value is `{"secrets": ["<current>", "<previous>", ...]}`;
every listed secret is accepted. Keys are decoded once per fetch, not once per request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .observability import log
from .schemes import Provider

RETRY_AFTER_FAILURE_SECONDS = 10  # while a refresh fails, keep the last keys this long per try


class SecretsUnavailable(Exception):
    """The provider's keys could not be fetched or decoded; the delivery must be retried later."""


class SecretsCache:
    """Per-container cache of each provider's decoded signing keys.

    `client` is a callable returning a Secrets Manager client, so the client is only created by
    the first fetch.
    """

    def __init__(self, client: Callable[[], Any], refresh_seconds: float) -> None:
        self._client = client
        self._refresh_seconds = refresh_seconds
        # (secret ARN, scheme) -> (decoded keys, refresh due at): the scheme decides the decoding
        self._entries: dict[tuple[str, str], tuple[tuple[bytes, ...], float]] = {}

    def keys(self, provider: Provider[Any], now: float) -> tuple[bytes, ...]:
        """The provider's active keys; fetches only when the cached ones are due for refresh."""
        slot = (provider.secret_arn, provider.scheme.name)
        entry = self._entries.get(slot)
        if entry is not None and now < entry[1]:
            return entry[0]
        try:
            keys = self._fetch(provider)
        except SecretsUnavailable as error:
            if entry is None:
                raise
            log(
                "WARNING",
                "secret refresh failed, using cached keys",
                provider=provider.name,
                reason=str(error),
            )
            self._entries[slot] = (entry[0], now + RETRY_AFTER_FAILURE_SECONDS)
            return entry[0]
        self._entries[slot] = (keys, now + self._refresh_seconds)
        return keys

    def _fetch(self, provider: Provider[Any]) -> tuple[bytes, ...]:
        try:
            response = self._client().get_secret_value(SecretId=provider.secret_arn)
        except Exception as error:
            raise SecretsUnavailable(
                f"fetching the secret failed: {type(error).__name__}"
            ) from None
        return decode_secret_value(provider.signing_key, response.get("SecretString"))


def decode_secret_value(signing_key: Callable[[str], bytes], text: object) -> tuple[bytes, ...]:
    """Keys from a `{"secrets": [...]}` secret value; raise `SecretsUnavailable` saying why not."""
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        data = None
    secrets = data.get("secrets") if isinstance(data, dict) else None
    if not isinstance(secrets, list) or not secrets:
        raise SecretsUnavailable('secret value is not {"secrets": [<at least one string>]}')
    keys = []
    for position, secret in enumerate(secrets):
        if not isinstance(secret, str):
            raise SecretsUnavailable(f"secrets[{position}] is not a string")
        try:
            keys.append(signing_key(secret))
        except ValueError as error:
            raise SecretsUnavailable(f"secrets[{position}]: {error}") from None
    return tuple(keys)
