"""The local stack's stand-in for the senders' key hosts: SNS's signing certificate and its
subscription-confirmation endpoint, Google's certificates, Plaid's key endpoint.

The ingest function reaches it through a provider's `keyOrigin` (a test-only override the
program refuses outside the local stack, hookgate/handlers/webhooks/keys.py), so the public-key
senders
run the real fetch-and-verify path here. It serves what `ops.pubkey_signing` says of the test
keys the local stack keeps; `confirmations` lists the subscriptions it confirmed.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ops import pubkey_signing
from ops.pubkey_signing import SenderKeys


class KeyServer:
    """An HTTP server on 127.0.0.1 (a free port) serving the test keys' public documents."""

    def __init__(self, keys: SenderKeys) -> None:
        self.keys = keys
        self.documents = pubkey_signing.documents(keys)
        self.confirmations: list[dict[str, str]] = []
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items() if len(v) == 1}
                if parts.path == "/" and query.get("Action") == "ConfirmSubscription":
                    server.confirmations.append(query)
                    self._answer(200, b"<ConfirmSubscriptionResponse/>", "text/xml")
                elif self.path in server.documents:
                    self._answer(200, server.documents[self.path], "application/octet-stream")
                else:
                    self._answer(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    sent: Any = json.loads(self.rfile.read(length))
                except ValueError:
                    sent = None
                found = (
                    pubkey_signing.plaid_key(server.keys, str(sent.get("key_id")))
                    if self.path == pubkey_signing.PLAID_KEY_PATH and isinstance(sent, dict)
                    else None
                )
                if found is None:
                    self._answer(400, b'{"error_code": "INVALID_INPUT"}', "application/json")
                else:
                    self._answer(200, json.dumps(found).encode(), "application/json")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
