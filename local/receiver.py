"""A local HTTP destination: records every request it receives and answers as scripted.

The tests and the drill point an `http` subscriber at it (`http://127.0.0.1:<port>/...`, allowed
in the local stack only). `behave(request)` decides each answer: a status, headers, and seconds
to stall first (longer than the deliverer's timeout is a timeout); `down` refuses connections
(the port is closed while it is set).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    """One request as it arrived: when (monotonic and epoch), its path, headers and bytes."""

    at: float
    wall: float
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    stall_seconds: float = 0.0


Behaviour = Callable[[Received], Answer]


class Receiver:
    """A threaded HTTP server on 127.0.0.1; `received` lists every request (thread-safe)."""

    def __init__(self, behave: Behaviour | None = None, port: int = 0) -> None:
        self.behave: Behaviour = behave or (lambda _request: Answer())
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/hook"

    def start(self) -> None:
        """Listen (again, on the same port after `stop`)."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                # Stamped as the request line and headers are in, before the body is read: the
                # arrival a rate is measured by, not how long a large body takes to read.
                at, wall = time.monotonic(), time.time()
                length = int(self.headers.get("content-length") or 0)
                request = Received(
                    at=at,
                    wall=wall,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                with owner._lock:
                    owner.received.append(request)
                answer = owner.behave(request)
                if answer.stall_seconds:
                    time.sleep(answer.stall_seconds)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:  # the client gave up (its timeout)
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        server.daemon_threads = True
        self._port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close the port: deliveries get connection errors until `start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def requests(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def most_in_any_second(self) -> int:
        """The largest number of requests that arrived within any one-second window."""
        return self.most_in_any(1.0)

    def most_in_any(self, seconds: float) -> int:
        """The largest number of requests that arrived within any window of `seconds`."""
        times = sorted(r.at for r in self.requests())
        most, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= seconds:
                start += 1
            most = max(most, end - start + 1)
        return most
