"""webhooks.keys over a real HTTP server on 127.0.0.1: what is refused before a fetch, what a
fetch refuses (redirects, large or slow answers), and the cache's bounds."""

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from webhooks import keys

SOURCE = keys.Source("test", host="keys.example.com")


class Handler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Handler.hits.append(self.path)
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.2:9/elsewhere")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.0)
        size = keys.MAX_KEY_BYTES + 1 if self.path == "/large" else 10
        status = 500 if self.path == "/broken" else 200
        self.send_response(status)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client stopped reading: the bound
            self.wfile.write(b"k" * size)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(autouse=True)
def fresh() -> None:
    Handler.hits = []


def cache(**kwargs: object) -> keys.KeyCache:
    return keys.KeyCache(**kwargs)  # type: ignore[arg-type]


def test_a_document_is_fetched_once_then_cached(origin: str) -> None:
    store = cache()
    assert store.get(f"{origin}/key", SOURCE) == b"k" * 10
    assert store.get(f"{origin}/key", SOURCE) == b"k" * 10
    assert Handler.hits == ["/key"]


@pytest.mark.parametrize("path", ["/redirect", "/large", "/broken"])
def test_a_redirect_a_large_or_failed_answer_is_unavailable(origin: str, path: str) -> None:
    with pytest.raises(keys.KeysUnavailable):
        cache().get(origin + path, SOURCE)
    assert Handler.hits == [path]  # the redirect's target was never asked


def test_a_slow_answer_is_unavailable_within_the_timeout(
    origin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keys, "FETCH_TIMEOUT_SECONDS", 0.2)
    started = time.monotonic()
    with pytest.raises(keys.KeysUnavailable):
        cache().get(f"{origin}/slow", SOURCE)
    assert time.monotonic() - started < 0.9


def test_the_cache_is_bounded_and_expires(origin: str) -> None:
    now = [0.0]
    store = cache(clock=lambda: now[0], max_entries=2, miss_interval=0, ttl=100)
    for name in ("a", "b", "c"):
        store.get(f"{origin}/{name}", SOURCE)
    assert store.cached(f"{origin}/a") is None  # the oldest went
    assert store.cached(f"{origin}/c") is not None
    now[0] = 101
    assert store.cached(f"{origin}/c") is None


def test_misses_are_limited_per_source(origin: str) -> None:
    now = [0.0]
    store = cache(clock=lambda: now[0], miss_interval=60)
    store.get(f"{origin}/a", SOURCE)
    with pytest.raises(keys.KeysUnavailable, match="one per interval"):
        store.get(f"{origin}/b", SOURCE)
    store.get(f"{origin}/c", keys.Source("other", host="x"))  # another source's budget
    now[0] = 60
    store.get(f"{origin}/b", SOURCE)
    assert Handler.hits == ["/a", "/c", "/b"]


@pytest.mark.parametrize(
    "url",
    [
        "http://keys.example.com/k",
        "https://keys.example.com:444/k",
        "https://keys.example.com.evil.example/k",
        "https://evil.example/k",
        "https://a:b@keys.example.com/k",
        "https://keys.example.com/k#x",
        "ftp://keys.example.com/k",
    ],
)
def test_urls_off_the_allowed_host_are_refused(url: str) -> None:
    with pytest.raises(keys.KeyRefused):
        keys.check_url(url, SOURCE, None)


def test_the_allowed_host_over_https_passes() -> None:
    url = "https://keys.example.com/k.pem"
    assert keys.check_url(url, SOURCE, None) == url


def test_with_a_local_origin_only_that_origin_passes(origin: str) -> None:
    assert keys.check_url(f"{origin}/k", SOURCE, origin) == f"{origin}/k"
    with pytest.raises(keys.KeyRefused):
        keys.check_url("https://keys.example.com/k", SOURCE, origin)
