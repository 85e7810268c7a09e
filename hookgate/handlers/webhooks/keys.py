"""Keys fetched from a sender at run time (SNS certificates, JWKS), safely and at most so often.

What is trusted and why (docs/design.md, "Public-key senders"):
- A URL is fetched only when its scheme names its host (`Source`: an exact host, or a host
  pattern checked before any network call), over HTTPS, without following a redirect, within
  `MAX_KEY_BYTES` and `FETCH_TIMEOUT_SECONDS`. A URL taken from a request (SNS's
  `SigningCertURL`) is checked the same way before it is fetched.
- What was fetched is cached per container for `ttl` seconds, at most `MAX_ENTRIES` entries.
- A URL (or key id) not in the cache is fetched at most once per `MISS_INTERVAL_SECONDS` per
  source, so a flood of requests naming new certificates or key ids costs one fetch per
  interval, not one per request.
- A failed fetch raises `KeysUnavailable` (the receiver answers 503, logs and counts it, and the
  sender retries); it is never an accept.

The local stack serves these keys itself: a provider's `key_origin` option replaces the
sender's origin (`http://127.0.0.1:<port>`). It is allowed only where `LOCAL_STACK_VARIABLE`
is set (the local stack sets it for the program and its functions); anywhere else it is a
config error, and the CrossGuard rule `no-key-origin-override` refuses a stack carrying it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, Final

from . import Record
from .observability import log

FETCH_TIMEOUT_SECONDS = 3.0
"""Per fetch: well inside the ingest function's timeout, so a slow sender is a 503 in time."""
MAX_KEY_BYTES = 64 * 1024
"""A certificate or a JWKS is a few KiB; more is not one."""
MAX_ENTRIES = 32
"""Cached documents per container (a certificate per SNS signing key, a JWKS per issuer)."""
MISS_INTERVAL_SECONDS = 60.0
"""Per source, at most one fetch of something not cached per this many seconds."""
LOCAL_STACK_VARIABLE = "WEBHOOKS_LOCAL_STACK"
"""Set (to `1`) by the local stack only: allows the `key_origin` override, and `http://`
destinations in the program (components/http_settings.py)."""
_LOCAL_ORIGIN_HOSTS = ("127.0.0.1", "localhost")


class KeysUnavailable(Exception):
    """A sender's key could not be fetched now; the delivery must be retried later (503)."""


class KeyRefused(ValueError):
    """A key URL the scheme does not allow (never fetched): the request is refused (401)."""


class Source(Record):
    """Where a scheme may fetch keys from: `https://<host><path>` with `host` equal to `host`
    or, when `host_rule` is given, accepted by it (SNS: `sns.<region>.amazonaws.com`)."""

    __slots__ = ("host", "host_rule", "name")

    def __init__(
        self, name: str, host: str = "", host_rule: Callable[[str], bool] | None = None
    ) -> None:
        self.name: Final = name
        self.host: Final = host
        self.host_rule: Final = host_rule


def local_origin_allowed() -> bool:
    """Whether this process is the local stack (the only place `key_origin` is allowed)."""
    return os.environ.get(LOCAL_STACK_VARIABLE) == "1"


def check_key_origin(origin: str) -> str | None:
    """What is wrong with a `key_origin` override here, or None: only on the local stack, and
    only `http(s)://127.0.0.1[:port]` or `localhost`."""
    if not local_origin_allowed():
        return (
            "unset: a test-only override of the sender's key host, refused outside the local"
            f" stack ({LOCAL_STACK_VARIABLE}=1)"
        )
    from urllib.parse import urlsplit

    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or parts.hostname not in _LOCAL_ORIGIN_HOSTS:
        return "http(s)://127.0.0.1[:port] or localhost"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "an origin without path, query or fragment"
    return None


def check_url(url: str, source: Source, origin: str | None) -> str:
    """`url` when its scheme allows it (checked before any fetch); else `KeyRefused`.

    With a local `origin`, the URL must be on that origin instead of the sender's host."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise KeyRefused("key URL is not a URL") from None
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise KeyRefused("key URL has credentials or a fragment")
    if origin is not None:
        local = urlsplit(origin)
        if (parts.scheme, parts.netloc) != (local.scheme, local.netloc):
            raise KeyRefused("key URL is not on the local key origin")
        return url
    host = parts.hostname or ""
    allowed = host == source.host if source.host_rule is None else source.host_rule(host)
    if parts.scheme != "https" or port not in (None, 443) or not allowed:
        raise KeyRefused(f"key URL is not HTTPS on a {source.name} host")
    return url


def _default_opener() -> Any:
    """An opener that follows no redirect (the allowed host must answer itself) and uses no
    proxy (keys come straight from the sender's host). `urllib.request` is imported here, by
    the first fetch: it costs tens of milliseconds of import that no other path needs."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())


class _Entry(Record):
    __slots__ = ("data", "expires")

    def __init__(self, data: bytes, expires: float) -> None:
        self.data: Final = data
        self.expires: Final = expires


class KeyCache:
    """Documents fetched from senders, per container: bounded, expiring, rate-limited misses."""

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        opener: Callable[[], Any] = _default_opener,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
        miss_interval: float = MISS_INTERVAL_SECONDS,
    ) -> None:
        self._ttl = ttl
        self._opener = opener
        self._clock = clock
        self._max_entries = max_entries
        self._miss_interval = miss_interval
        self._entries: dict[tuple[str, bytes], _Entry] = {}
        self._last_miss: dict[str, float] = {}
        self.fetches = 0
        """Network fetches made (tests and the bench read it)."""

    def cached(self, url: str, data: bytes = b"") -> bytes | None:
        """The cached document, if fresh."""
        entry = self._entries.get((url, data))
        return entry.data if entry is not None and self._clock() < entry.expires else None

    def get(
        self,
        url: str,
        source: Source,
        *,
        data: bytes = b"",
        headers: dict[str, str] | None = None,
        refresh: bool = False,
    ) -> bytes:
        """The document at `url` (POSTing `data` when given), from the cache when fresh.

        `url` must have passed `check_url`. `refresh` refetches a cached one (a key id not in a
        cached JWKS), subject to the same one-miss-per-interval bound."""
        if not refresh:
            found = self.cached(url, data)
            if found is not None:
                return found
        now = self._clock()
        last = self._last_miss.get(source.name)
        if last is not None and now - last < self._miss_interval:
            found = self.cached(url, data)
            if refresh and found is not None:
                return found  # the fresh copy stands until the interval is over
            raise KeysUnavailable(f"{source.name}: key fetch limited to one per interval")
        self._last_miss[source.name] = now
        document = self.fetch(url, source, data, headers or {})
        if len(self._entries) >= self._max_entries:
            oldest = min(self._entries, key=lambda key: self._entries[key].expires)
            del self._entries[oldest]
        self._entries[(url, data)] = _Entry(document, now + self._ttl)
        return document

    def fetch(
        self, url: str, source: Source, data: bytes = b"", headers: dict[str, str] | None = None
    ) -> bytes:
        """One request, never cached (a subscription confirmation); `url` passed `check_url`."""
        import urllib.error
        import urllib.request

        self.fetches += 1
        request = urllib.request.Request(  # noqa: S310 - check_url allowed only http(s)
            url, data=data or None, headers=headers or {}, method="POST" if data else "GET"
        )
        try:
            with self._opener().open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
                if response.status != 200:
                    raise KeysUnavailable(f"{source.name}: key fetch answered {response.status}")
                document: bytes = response.read(MAX_KEY_BYTES + 1)
        except KeysUnavailable:
            raise
        except urllib.error.HTTPError as error:  # a redirect lands here too (not followed)
            reason = f"{source.name}: key fetch answered {error.code}"
            log("WARNING", "key fetch failed", source=source.name, reason=reason)
            raise KeysUnavailable(reason) from None
        except (OSError, ValueError) as error:
            reason = f"{source.name}: key fetch failed: {type(error).__name__}"
            log("WARNING", "key fetch failed", source=source.name, reason=reason)
            raise KeysUnavailable(reason) from None
        if len(document) > MAX_KEY_BYTES:
            raise KeysUnavailable(f"{source.name}: key document larger than {MAX_KEY_BYTES} bytes")
        return document


CACHE = KeyCache()
"""The container's cache (the ingest function lives as long as its container)."""
