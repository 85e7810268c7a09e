"""Send a correctly signed (or deliberately forged) sample delivery to a provider's URL.

The signing itself is the sender side of each scheme in `ops.signing`; this module adds what an
operator needs around it: the provider's current secret from Secrets Manager, the URL from the
outputs, and a plain stdlib HTTP POST.
"""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops import signing
from ops.errors import OpsError
from ops.outputs import Outputs
from webhooks import schemes

TIMEOUT_SECONDS = 35  # above the HTTP API's 30 s integration timeout


@dataclass(frozen=True)
class Response:
    """What the endpoint answered."""

    status: int
    text: str

    def json(self) -> dict:
        try:
            value = json.loads(self.text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Delivery:
    """One delivery to send: `signed()` signs it afresh (new timestamp) for every attempt."""

    url: str
    scheme: str
    secret: str
    body: bytes
    delivery_id: str
    event_type: str
    options: dict | None = None
    sender: "PublicKeySender | None" = None
    """For a public-key sender: the keys it signs with and where its keys are served."""

    def signed(self) -> tuple[str, bytes, dict[str, str]]:
        if self.sender is not None:
            body, signed_headers = self.sender.sign(
                self.scheme, self.body, self.delivery_id, self.event_type
            )
            return self.url, body, signed_headers
        body = signing.sign_body(self.scheme, self.secret, self.body, self.options)
        headers = signing.sign(
            self.scheme,
            self.secret,
            body,
            delivery_id=self.delivery_id,
            event_type=self.event_type,
            options=self.options,
            url=self.url,
        )
        return self.url, body, headers


@dataclass(frozen=True)
class PublicKeySender:
    """A public-key sender's test keys (the local stack's), its key server and region."""

    keys: Any
    origin: str
    region: str

    def sign(
        self, scheme: str, body: bytes, delivery_id: str, event_type: str
    ) -> tuple[bytes, dict[str, str]]:
        from ops import pubkey_signing

        return pubkey_signing.sign(
            scheme,
            self.keys,
            body,
            delivery_id=delivery_id,
            event_type=event_type,
            origin=self.origin,
            region=self.region,
        )


def public_key_sender(stack: Outputs, scheme: str, *, forge: bool = False) -> PublicKeySender:
    """The local stack's test keys for `scheme` (fresh random ones when `forge`): nobody else
    can sign as Discord, SNS or Google, so these senders are sent to the local stack only."""
    from ops.pubkey_signing import SenderKeys

    path = stack.values.get("local_sender_keys")
    if not isinstance(path, str):
        raise OpsError(
            f"{scheme} signs with its own private key: `ops send` signs as it only for the local"
            " stack (its test keys; output 'local_sender_keys' is missing)"
        )
    keys = SenderKeys.generate() if forge else SenderKeys.load_or_create(Path(path))
    return PublicKeySender(keys, stack.text("local_key_origin"), stack.text("region"))


def current_secret(stack: Outputs, provider: str) -> str:
    """The first (current) entry of the provider's `{"secrets": [...]}` secret value."""
    arn = stack.mapping("provider_secret_arns").get(provider)
    if not arn:
        raise OpsError(f"output 'provider_secret_arns' has no entry for {provider!r}")
    value = stack.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    try:
        listed = json.loads(value)["secrets"]
        first = listed[0]
    except (ValueError, KeyError, IndexError, TypeError):
        raise OpsError(f'secret {arn} is not {{"secrets": ["<current>", ...]}}') from None
    if not isinstance(first, str) or not first:
        raise OpsError(f"secret {arn}: the current secret is not a non-empty string")
    return first


def provider_url(stack: Outputs, provider: str) -> str:
    urls = stack.values.get("webhook_urls")
    if isinstance(urls, dict) and urls.get(provider):
        return urls[provider]
    return f"{stack.text('webhook_base_url').rstrip('/')}/{provider}"


def provider_options(stack: Outputs, provider: str) -> dict | None:
    """The provider's `PROVIDERS` options (header names etc.), which only `hmac` signing reads,
    from the `provider_options` output; None means the scheme's defaults."""
    options = stack.values.get("provider_options")
    found = options.get(provider) if isinstance(options, dict) else None
    return found if isinstance(found, dict) else None


def prepare(
    stack: Outputs,
    provider: str,
    *,
    body: bytes | None = None,
    size: int | None = None,
    event_type: str | None = None,
    delivery_id: str | None = None,
    forge: bool = False,
    options: dict | None = None,
) -> Delivery:
    """A delivery for `provider` with its current secret, or when `forge` a random one in the
    scheme's format (the registry's development secret), so the signature is present but wrong.

    With `body`, the sample only supplies the header-borne id and event type: for Stripe and
    Slack the delivery id is whatever the body says.
    """
    scheme = stack.provider(provider)
    if scheme in signing.PUBLIC_KEY_SCHEMES:
        return _prepare_public_key(stack, provider, scheme, body, event_type, delivery_id, forge)
    sample = signing.sample(scheme, event_type=event_type, delivery_id=delivery_id, size=size)
    return Delivery(
        url=provider_url(stack, provider),
        scheme=scheme,
        secret=(
            schemes.get(scheme).new_development_secret()
            if forge
            else current_secret(stack, provider)
        ),
        body=sample.body if body is None else body,
        delivery_id=sample.delivery_id,
        event_type=sample.event_type,
        options=options if options is not None else provider_options(stack, provider),
    )


def _prepare_public_key(
    stack: Outputs,
    provider: str,
    scheme: str,
    body: bytes | None,
    event_type: str | None,
    delivery_id: str | None,
    forge: bool,
) -> Delivery:
    from ops import pubkey_signing

    delivery_id = delivery_id or pubkey_signing.new_delivery_id(scheme)
    event_type = event_type if event_type is not None else pubkey_signing.EVENT_TYPES[scheme][0]
    return Delivery(
        url=provider_url(stack, provider),
        scheme=scheme,
        secret="",
        body=body
        if body is not None
        else pubkey_signing.sample(scheme, delivery_id, event_type, int(time.time())),
        delivery_id=delivery_id,
        event_type=event_type,
        sender=public_key_sender(stack, scheme, forge=forge),
    )


def post(request: tuple[str, bytes, dict[str, str]]) -> Response:
    """POST the signed request; any HTTP answer is a `Response`, no answer an `OpsError`."""
    url, body, headers = request
    http_request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(http_request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return Response(answer.status, answer.read().decode(errors="replace"))
    except urllib.error.HTTPError as answer:
        return Response(answer.code, answer.read().decode(errors="replace"))
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        raise OpsError(f"cannot reach {url}: {reason}") from None
