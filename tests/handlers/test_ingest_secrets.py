"""The per-container secrets cache, without AWS: what is fetched when, and how it is decoded."""

import base64
import json

import pytest

from webhooks.providers import build
from webhooks.secrets import SecretsCache, SecretsUnavailable, decode_secret_value

KEY = b"standard key bytes"
WHSEC = "whsec_" + base64.b64encode(KEY).decode()
GITHUB_KEY = build("gh", "github", "arn", {}).signing_key
STANDARD_KEY = build("std", "standard", "arn", {}).signing_key


class Store:
    """A Secrets Manager stand-in that counts fetches and can be broken."""

    def __init__(self, secrets: list[str]) -> None:
        self.value = json.dumps({"secrets": secrets})
        self.fetches = 0
        self.broken = False

    def get_secret_value(self, *, SecretId: str) -> dict:
        self.fetches += 1
        if self.broken:
            raise ConnectionError("unreachable")
        return {"SecretString": self.value, "ARN": SecretId}


def test_keys_are_decoded_per_scheme_even_for_a_shared_secret() -> None:
    store = Store([WHSEC])
    cache = SecretsCache(lambda: store, 300)
    standard = build("std", "standard", "arn:shared", {})
    github = build("gh", "github", "arn:shared", {})
    assert cache.keys(standard, 0) == (KEY,)
    assert cache.keys(github, 0) == (WHSEC.encode(),)
    assert cache.keys(standard, 1) == (KEY,)
    assert store.fetches == 2


def test_fetch_failure_without_cached_keys_is_unavailable() -> None:
    store = Store(["s"])
    store.broken = True
    with pytest.raises(SecretsUnavailable, match="fetching the secret failed: ConnectionError"):
        SecretsCache(lambda: store, 300).keys(build("gh", "github", "arn", {}), 0)


def test_failed_refresh_retries_after_a_short_pause() -> None:
    store = Store(["s"])
    cache = SecretsCache(lambda: store, 300)
    gh = build("gh", "github", "arn", {})
    cache.keys(gh, 0)
    store.broken = True
    assert cache.keys(gh, 300) == (b"s",)
    assert cache.keys(gh, 309) == (b"s",)
    assert store.fetches == 2
    store.broken = False
    store.value = json.dumps({"secrets": ["t"]})
    assert cache.keys(gh, 310) == (b"t",)
    assert store.fetches == 3


def test_client_is_created_on_first_fetch_only() -> None:
    created = []

    def client() -> Store:
        created.append(1)
        return Store(["s"])

    cache = SecretsCache(client, 300)
    assert created == []
    cache.keys(build("gh", "github", "arn", {}), 0)
    assert created == [1]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "secret value is not"),
        ("{", "secret value is not"),
        ('{"secret": ["a"]}', "secret value is not"),
        ('{"secrets": "a"}', "secret value is not"),
        ('{"secrets": []}', "secret value is not"),
        ('{"secrets": ["a", 2]}', r"secrets\[1\] is not a string"),
        ('{"secrets": [""]}', r"secrets\[0\]: signing secret is empty"),
    ],
)
def test_malformed_secret_values_say_why(value: str | None, message: str) -> None:
    with pytest.raises(SecretsUnavailable, match=message):
        decode_secret_value(GITHUB_KEY, value)


def test_keys_are_decoded_by_the_given_function() -> None:
    value = json.dumps({"secrets": [WHSEC, "whsec_" + base64.b64encode(b"old").decode()]})
    assert decode_secret_value(STANDARD_KEY, value) == (KEY, b"old")
    assert decode_secret_value(GITHUB_KEY, value) == tuple(
        s.encode() for s in json.loads(value)["secrets"]
    )
    with pytest.raises(SecretsUnavailable, match=r"secrets\[0\]: signing secret is empty"):
        decode_secret_value(STANDARD_KEY, '{"secrets": ["whsec_"]}')


def test_error_never_quotes_the_secret() -> None:
    with pytest.raises(SecretsUnavailable) as caught:
        decode_secret_value(GITHUB_KEY, '{"secrets": ["hunter2", 5]}')
    assert "hunter2" not in str(caught.value)
