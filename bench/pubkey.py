"""Item 1b: the public-key senders: verification per family against the senders' own verifiers,
the import cost of a function with one such provider, and the size of the package they add.

Requests are signed by `ops.pubkey_signing` with fresh test keys; fetched keys (SNS
certificate, Google's certificates, Plaid's key) come from an in-memory opener, once, so the
figures are per verify with keys cached, as a warm container runs.
"""

import base64
import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import Any

from hookgate.components import packages
from ops import pubkey_signing
from ops.pubkey_signing import SenderKeys
from webhooks import keys, providers

from .coldstart import import_ms
from .stats import paired_ratios, summarize
from .timing import interleaved_ns

REGION = "us-east-1"
SNS_ORIGIN = f"https://sns.{REGION}.amazonaws.com"
"""The real hosts the schemes allow; the opener answers for them in memory."""
GOOGLE_ORIGIN = "https://www.googleapis.com"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench"  # noqa: S105 - an ARN
PLAID_CREDENTIALS = (b"bench-client:bench-secret",)


class _Answer(io.BytesIO):
    status = 200


class _Opener:
    """The senders' key hosts in memory (the documents `ops.pubkey_signing` says they serve)."""

    def __init__(self, sender_keys: SenderKeys) -> None:
        served = pubkey_signing.documents(sender_keys)
        self.documents = {
            SNS_ORIGIN + pubkey_signing.CERTIFICATE_PATH: served[pubkey_signing.CERTIFICATE_PATH],
            GOOGLE_ORIGIN + pubkey_signing.GOOGLE_CERTS_PATH: served[
                pubkey_signing.GOOGLE_CERTS_PATH
            ],
        }
        self.plaid = json.dumps(pubkey_signing.plaid_key(sender_keys, pubkey_signing.PLAID_KEY_ID))

    def __call__(self) -> "_Opener":
        return self

    def open(self, request: Any, timeout: float) -> _Answer:
        if request.data:
            return _Answer(self.plaid.encode())
        return _Answer(self.documents[request.full_url])


def _provider(scheme: str, sender_keys: SenderKeys) -> Any:
    """The provider trusting these keys at the senders' real hosts (no `keyOrigin`)."""
    options = pubkey_signing.provider_options(scheme, sender_keys, "", REGION)
    options.pop("keyOrigin", None)
    snake = {
        "publicKey": "public_key",
        "topicArns": "topic_arns",
        "keyOrigin": "key_origin",
        "serviceAccountEmail": "service_account_email",
    }
    return providers.build(
        scheme, scheme, SECRET_ARN, {snake.get(key, key): value for key, value in options.items()}
    )


def _official(scheme: str, body: bytes, headers: dict[str, str], sender_keys: SenderKeys) -> Any:
    """The sender's own verifier, where one exists (test-only dependencies)."""
    if scheme == "discord":
        from discord_interactions import verify_key

        public = sender_keys.ed25519.public_key().public_bytes_raw().hex()
        signature, stamp = headers["X-Signature-Ed25519"], headers["X-Signature-Timestamp"]
        return lambda: verify_key(body, signature, stamp, public)
    if scheme == "telnyx":
        from nacl.signing import VerifyKey

        verifier = VerifyKey(sender_keys.ed25519.public_key().public_bytes_raw())
        raw = base64.b64decode(headers["telnyx-signature-ed25519"])
        message = headers["telnyx-timestamp"].encode() + b"|" + body
        return lambda: verifier.verify(message, raw)
    if scheme == "sendgrid":
        from sendgrid.helpers.eventwebhook import EventWebhook

        options = pubkey_signing.provider_options(scheme, sender_keys, "", REGION)
        webhook = EventWebhook(options["publicKey"])
        signature = headers["X-Twilio-Email-Event-Webhook-Signature"]
        stamp = headers["X-Twilio-Email-Event-Webhook-Timestamp"]
        return lambda: webhook.verify_signature(body.decode(), signature, stamp)
    if scheme == "google-pubsub":
        from google.oauth2 import id_token

        certificates = pubkey_signing.documents(sender_keys)[pubkey_signing.GOOGLE_CERTS_PATH]

        class Request:
            def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> Any:
                class Answer:
                    status = 200
                    data = certificates
                    headers: dict[str, str] = {}  # noqa: RUF012 - google-auth reads it

                return Answer()

        token = headers["Authorization"].removeprefix("Bearer ")
        audience = pubkey_signing.LOCAL_AUDIENCE
        transport: Any = Request()  # google-auth's transport protocol
        return lambda: id_token.verify_token(token, transport, audience=audience)
    return None


def _ours(provider: Any, headers: dict[str, str], body: bytes, now: int) -> Callable[[], object]:
    return lambda: provider.verify(headers, body, PLAID_CREDENTIALS, now)


def run(repeat: int) -> list[dict[str, object]]:
    """One row per sender: ours and its official verifier (if any), ns per call."""
    sender_keys = SenderKeys.generate()
    saved = keys.CACHE
    keys.CACHE = keys.KeyCache(opener=_Opener(sender_keys))
    rows = []
    try:
        for scheme in pubkey_signing.SCHEMES:
            now = int(time.time())
            delivery_id = pubkey_signing.new_delivery_id(scheme)
            sample = pubkey_signing.sample(scheme, delivery_id, "bench", now)
            body, sent = pubkey_signing.sign(
                scheme,
                sender_keys,
                sample,
                delivery_id=delivery_id,
                origin=SNS_ORIGIN,
                region=REGION,
            )
            headers = {name.lower(): value for name, value in sent.items()}
            provider = _provider(scheme, sender_keys)
            reason = provider.verify(headers, body, PLAID_CREDENTIALS, now)
            if reason is not None:
                raise RuntimeError(f"{scheme}: our verifier rejects the bench request: {reason}")
            fns: dict[str, Callable[[], object]] = {"ours": _ours(provider, headers, body, now)}
            official = _official(scheme, body, sent, sender_keys)
            if official is not None:
                official()
                fns["official"] = official
            samples = interleaved_ns(fns, repeat)
            row: dict[str, object] = {"scheme": scheme}
            for name, values in samples.items():
                row[f"{name}_ns"] = summarize(values).as_dict()
            row["ours_vs_official"] = (
                paired_ratios(samples["ours"], samples["official"]).as_dict()
                if official is not None
                else None
            )
            rows.append(row)
    finally:
        keys.CACHE = saved
    return rows


_PROVIDER = (
    "from webhooks import providers; import json; providers.parse(json.dumps("
    '{{"p": {{"scheme": "{scheme}", "secret_arn": "a"{extra}}}}}))'
)


def imports(repeat: int) -> dict[str, dict[str, float]]:
    """Milliseconds to import the ingest path and configure one provider, in a fresh
    interpreter: a shared-secret sender, and a Discord one (which imports `cryptography`)."""
    statements = {
        "github": _PROVIDER.format(scheme="github", extra=""),
        "discord": _PROVIDER.format(scheme="discord", extra=', "public_key": "' + "00" * 32 + '"'),
    }
    statements = {name: "import ingest; " + text for name, text in statements.items()}
    for text in statements.values():
        import_ms(text)  # warm the file cache, write the bytecode
    samples: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(repeat):
        for name, text in statements.items():
            samples[name].append(import_ms(text))
    return {name: summarize(values).as_dict() for name, values in samples.items()}


def package_size() -> dict[str, int]:
    """Bytes the functions' package gains with a public-key provider, unpacked and zipped."""
    built = packages.build(["cryptography"])
    files = packages.files(built)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in files:
            zipped.write(path, path.relative_to(built).as_posix())
    return {
        "files": len(files),
        "unpacked_bytes": sum(p.stat().st_size for p in files),
        "zipped_bytes": len(archive.getvalue()),
    }
