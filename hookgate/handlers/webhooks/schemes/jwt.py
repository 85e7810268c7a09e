"""A JWT signed by the sender with a key fetched by its `kid`: `google-pubsub`, `plaid`.

- `google-pubsub`: push subscriptions with authentication send `Authorization: Bearer <OIDC
  token>` signed by Google (RS256). The token's `aud` must be the provider's `audience`, its
  `email` the push service account (`serviceAccountEmail`, with `email_verified`), its `iss`
  Google's, and it must not have expired. Keys: Google's certificates by key id
  (`https://www.googleapis.com/oauth2/v1/certs`, what `google-auth` verifies with).
  https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions
  The token does not cover the body, so an event's key is the body's SHA-256 (`content`).
- `plaid`: `Plaid-Verification: <JWT>`, ES256 only, key fetched by `kid` from Plaid's
  `/webhook_verification_key/get` (POST with the API `client_id` and `secret`: the provider's
  secret, `<client_id>:<secret>`); the `request_body_sha256` claim must be the body's SHA-256
  and `iat` at most `toleranceSeconds` old (five minutes, Plaid's advice); a key with an
  `expired_at` is refused. https://plaid.com/docs/api/webhooks/webhook-verification/

Every token's `alg` must be the sender's one algorithm, checked before any fetch: `none`, an
HMAC algorithm keyed with the public key, or another algorithm is refused. JWTs are parsed and
checked here with `cryptography` doing the signature (no JWT library: what is needed is a few
exact checks, each tested).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import Any, Final

from .. import Record, keys
from ..delivery import (
    COMMON_HEADERS,
    Delivery,
    body_text,
    delivery,
    json_object,
    object_field,
    optional_text,
)
from ..envelope import DEDUPE_BY_CONTENT
from ..signatures import INVALID_SIGNATURE, MALFORMED_SIGNATURE, MISSING_SIGNATURE
from .base import (
    MAX_TOLERANCE_SECONDS,
    About,
    Headers,
    Keys,
    Option,
    OptionError,
    Scheme,
    dedupe_option,
    hex_secret,
    utf8_key,
)

MAX_TOKEN_CHARACTERS = 8192
MAX_KEY_ID_CHARACTERS = 256
CLOCK_SKEW_SECONDS = 60
"""How far a token's `iat` may be ahead of our clock (clocks differ a little)."""
UNEXPECTED_ALGORITHM = "unexpected algorithm"
UNKNOWN_KEY = "unknown key id"
EXPIRED_TOKEN = "expired token"  # noqa: S105 - a 401 reason
WRONG_AUDIENCE = "wrong audience"
WRONG_ISSUER = "wrong issuer"
WRONG_ACCOUNT = "wrong service account"
BODY_MISMATCH = "body does not match the token"
STALE_TOKEN = "stale token"  # noqa: S105 - a 401 reason
GOOGLE_ISSUERS = frozenset({"accounts.google.com", "https://accounts.google.com"})
GOOGLE_CERTS = keys.Source("google", host="www.googleapis.com")
GOOGLE_CERTS_PATH = "/oauth2/v1/certs"
PLAID_HOSTS = {"production": "production.plaid.com", "sandbox": "sandbox.plaid.com"}
PLAID_KEY_PATH = "/webhook_verification_key/get"


class Token(Record):
    """A JWT split and decoded, its signature not yet checked."""

    __slots__ = ("claims", "header", "signature", "signing_input")

    def __init__(
        self,
        header: Mapping[str, Any],
        claims: Mapping[str, Any],
        signing_input: bytes,
        signature: bytes,
    ) -> None:
        self.header: Final = header
        self.claims: Final = claims
        self.signing_input: Final = signing_input
        self.signature: Final = signature


def _b64url(text: str) -> bytes:
    """Strict base64url (unpadded, as JWS writes it): any other character is an error, not
    skipped, so one token has one spelling."""
    if not text.isascii() or "=" in text:
        raise ValueError("not base64url")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _each_key_once(items: list[tuple[str, Any]]) -> dict[str, Any]:
    data = dict(items)
    if len(data) != len(items):
        raise ValueError("a key given twice")  # which copy was signed is unknowable
    return data


def _object(raw: bytes) -> Mapping[str, Any]:
    data = json.loads(raw, object_pairs_hook=_each_key_once)
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def split(token: str) -> Token | None:
    """The token's parts, or None when it is not a compact JWS of three base64url parts."""
    if len(token) > MAX_TOKEN_CHARACTERS or token.count(".") != 2:
        return None
    head, payload, signature = token.split(".")
    try:
        return Token(
            _object(_b64url(head)),
            _object(_b64url(payload)),
            f"{head}.{payload}".encode(),
            _b64url(signature),
        )
    except (ValueError, binascii.Error, RecursionError):
        return None


def _rs256_verify(key: Any, token: Token) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(token.signature, token.signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _es256_verify(key: Any, token: Token) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if not isinstance(key, ec.EllipticCurvePublicKey) or len(token.signature) != 64:
        return False
    r = int.from_bytes(token.signature[:32], "big")
    s = int.from_bytes(token.signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), token.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


class Sender(Record):
    """A sender of this family as data: where its token is, its one algorithm, how a key is
    found by id, what its claims must say, and how its delivery is described."""

    __slots__ = ("algorithm", "claims", "describe", "header", "keyring", "verify_signature")

    def __init__(
        self,
        header: str,
        algorithm: str,
        verify_signature: Callable[[Any, Token], bool],
        keyring: Callable[[JwtOptions, str, Keys], Any],
        claims: Callable[[JwtOptions, Token, bytes, int], str | None],
        describe: Callable[[Mapping[str, Any], Headers, str], Delivery],
    ) -> None:
        self.header: Final = header
        self.algorithm: Final = algorithm
        self.verify_signature: Final = verify_signature
        self.keyring: Final = keyring
        self.claims: Final = claims
        self.describe: Final = describe


class JwtOptions(Record):
    __slots__ = ("key_origin", "sender", "values")

    def __init__(self, sender: Sender, values: Mapping[str, Any], key_origin: str | None) -> None:
        self.sender: Final = sender
        self.values: Final = values
        self.key_origin: Final = key_origin


def _url(options: JwtOptions, source: keys.Source, path: str) -> str:
    origin = options.key_origin
    return keys.check_url(f"{origin or 'https://' + source.host}{path}", source, origin)


# ---- google-pubsub ----


@functools.lru_cache(maxsize=4)
def _google_certificates(document: bytes) -> Mapping[str, Any]:
    """Key id → public key of one fetched certificates document (parsed once per document)."""
    from cryptography import x509

    try:
        certificates = json.loads(document)
        return {
            kid: x509.load_pem_x509_certificate(pem.encode()).public_key()
            for kid, pem in certificates.items()
            if isinstance(pem, str)
        }
    except (ValueError, AttributeError):
        raise keys.KeysUnavailable("google: certificates are not JSON of PEM") from None


def _google_key(options: JwtOptions, kid: str, secrets: Keys) -> Any:
    """Google's certificate `kid` (the certificates are cached; an unseen id refetches them, at
    most once per interval)."""
    url = _url(options, GOOGLE_CERTS, GOOGLE_CERTS_PATH)
    for refresh in (False, True):
        found = _google_certificates(keys.CACHE.get(url, GOOGLE_CERTS, refresh=refresh)).get(kid)
        if found is not None:
            return found
    return None


def _google_claims(options: JwtOptions, token: Token, body: bytes, now: int) -> str | None:
    claims = token.claims
    expires, issued = claims.get("exp"), claims.get("iat")
    if type(expires) is not int or type(issued) is not int:
        return MALFORMED_SIGNATURE
    if now >= expires or issued > now + CLOCK_SKEW_SECONDS:
        return EXPIRED_TOKEN
    if claims.get("iss") not in GOOGLE_ISSUERS:
        return WRONG_ISSUER
    if claims.get("aud") != options.values["audience"]:
        return WRONG_AUDIENCE
    if (
        claims.get("email") != options.values["service_account_email"]
        or claims.get("email_verified") is not True
    ):
        return WRONG_ACCOUNT
    return None


def _google_describe(event: Mapping[str, Any], headers: Headers, body_sha256: str) -> Delivery:
    message = object_field(event, "message")
    if message is None:
        return delivery(body_sha256, "", headers, COMMON_HEADERS)
    message_id = optional_text(message, "messageId") or optional_text(message, "message_id")
    return delivery(message_id or body_sha256, "", headers, COMMON_HEADERS)


# ---- plaid ----


def _plaid_source(options: JwtOptions) -> keys.Source:
    environment = options.values["environment"]
    return keys.Source(f"plaid-{environment}", host=PLAID_HOSTS[environment])


def _plaid_key(options: JwtOptions, kid: str, secrets: Keys) -> Any:
    """Plaid's key `kid` (fetched once per id and cached; new ids at most once per interval)."""
    source = _plaid_source(options)
    url = _url(options, source, PLAID_KEY_PATH)
    client_id, _, secret = secrets[0].decode().partition(":")
    request = json.dumps({"client_id": client_id, "secret": secret, "key_id": kid}).encode()
    answer = keys.CACHE.get(url, source, data=request, headers={"Content-Type": "application/json"})
    return _plaid_jwk(answer, kid)


@functools.lru_cache(maxsize=keys.MAX_ENTRIES)
def _plaid_jwk(answer: bytes, kid: str) -> Any:
    """The P-256 key of one key answer, or None (parsed once per answer)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        jwk = json.loads(answer).get("key")
    except (ValueError, AttributeError):
        raise keys.KeysUnavailable("plaid: the key answer is not JSON") from None
    if not isinstance(jwk, dict) or jwk.get("kid") != kid:
        return None
    if jwk.get("expired_at") is not None:
        return None
    if (jwk.get("kty"), jwk.get("crv")) != ("EC", "P-256"):
        return None
    try:
        x = int.from_bytes(_b64url(jwk["x"]), "big")
        y = int.from_bytes(_b64url(jwk["y"]), "big")
        return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, ValueError, TypeError, binascii.Error):
        return None


def _plaid_claims(options: JwtOptions, token: Token, body: bytes, now: int) -> str | None:
    issued = token.claims.get("iat")
    claimed = token.claims.get("request_body_sha256")
    if type(issued) is not int or not isinstance(claimed, str):
        return MALFORMED_SIGNATURE
    if now - issued > options.values["tolerance_seconds"] or issued > now + CLOCK_SKEW_SECONDS:
        return STALE_TOKEN
    if not hmac.compare_digest(claimed.encode(), hashlib.sha256(body).hexdigest().encode()):
        return BODY_MISMATCH
    return None


def _plaid_describe(event: Mapping[str, Any], headers: Headers, body_sha256: str) -> Delivery:
    kind = f"{body_text(event, 'webhook_type')}.{optional_text(event, 'webhook_code')}"
    return delivery(body_sha256, kind, headers, COMMON_HEADERS)


def _plaid_development_secret(entropy: bytes) -> str:
    return f"local-client:{entropy.hex()}"


def _plaid_secret(secret: str) -> bytes:
    client_id, colon, key = secret.partition(":")
    if not (colon and client_id.strip() and key.strip()):
        raise ValueError("a Plaid secret is `<client_id>:<secret>` (the API credentials)")
    return secret.encode()


SENDERS = {
    "google-pubsub": Sender(
        "authorization", "RS256", _rs256_verify, _google_key, _google_claims, _google_describe
    ),
    "plaid": Sender(
        "plaid-verification", "ES256", _es256_verify, _plaid_key, _plaid_claims, _plaid_describe
    ),
}

KEY_ORIGIN = Option(
    "key_origin",
    "text",
    default=None,
    description="test only (local stack): where the sender's keys are served",
)
OPTIONS = {
    "google-pubsub": (
        Option("audience", "text", default=None, description="the token's expected `aud`"),
        Option(
            "service_account_email",
            "text",
            default=None,
            description="the push subscription's service account (the token's `email`)",
        ),
        KEY_ORIGIN,
        dedupe_option(DEDUPE_BY_CONTENT),
    ),
    "plaid": (
        Option(
            "environment",
            "choice",
            default="production",
            choices=tuple(PLAID_HOSTS),
            description="the Plaid environment whose keys verify the webhooks",
        ),
        Option(
            "tolerance_seconds",
            "integer",
            default=300,
            low=1,
            high=MAX_TOLERANCE_SECONDS,
            description="how old the token's `iat` may be, in seconds",
        ),
        KEY_ORIGIN,
        dedupe_option(DEDUPE_BY_CONTENT),
    ),
}
_REQUIRED = {"google-pubsub": ("audience", "service_account_email"), "plaid": ()}
ABOUT = {
    "google-pubsub": About(
        "jwt",
        "an OIDC token (RS256) in `Authorization: Bearer`, covering no body: `aud` is the"
        " `audience`, `email` the `serviceAccountEmail`; Google's certificates fetched by `kid`",
        "https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions",
        "`google-auth` `id_token.verify_token`; tokens made by `google-auth`'s `RSASigner`"
        " (tests/handlers/test_pubkey_jwt.py)",
    ),
    "plaid": About(
        "jwt",
        "a JWT (ES256) in `Plaid-Verification`: `iat` at most 5 min old, `request_body_sha256`"
        " the body's SHA-256; the key fetched by `kid` with the API credentials (the secret,"
        " `<client_id>:<secret>`)",
        "https://plaid.com/docs/api/webhooks/webhook-verification/",
        "Plaid publishes no verifier: `google-auth`'s ES256 verifier agrees; tokens made by"
        " `google-auth`'s `ES256Signer` (tests/handlers/test_pubkey_jwt.py)",
    ),
}


def _family(name: str) -> Scheme[JwtOptions]:
    sender = SENDERS[name]

    def check(values: Mapping[str, Any], spell: Any) -> None:
        for option in _REQUIRED[name]:
            if values.get(option) is None:
                raise OptionError(spell(option), None, f"required with scheme {name}")
        origin = values.get("key_origin")
        if origin is not None:
            problem = keys.check_key_origin(origin)
            if problem:
                raise OptionError(spell("key_origin"), origin, problem)

    def configure(values: Mapping[str, Any]) -> JwtOptions:
        return JwtOptions(sender, dict(values), values.get("key_origin"))

    return Scheme(
        name,
        configure,
        verify,
        describe,
        options=OPTIONS[name],
        check=check,
        signing_key=_plaid_secret if name == "plaid" else utf8_key,
        check_secret=None if name == "plaid" else _no_secret,  # Google's needs no secret
        development_secret=_plaid_development_secret if name == "plaid" else hex_secret,
        about=ABOUT[name],
    )


def _no_secret(secret: str) -> None:
    """Nothing of Google's is secret here: the provider's secret is not read."""


def verify(
    options: JwtOptions, headers: Headers, body: bytes, secrets: Keys, now: int
) -> str | None:
    sender = options.sender
    value = headers.get(sender.header)
    if not value:
        return MISSING_SIGNATURE
    if sender.header == "authorization":
        scheme, _, value = value.partition(" ")
        if scheme.lower() != "bearer":
            return MALFORMED_SIGNATURE
    token = split(value.strip())
    if token is None:
        return MALFORMED_SIGNATURE
    if token.header.get("alg") != sender.algorithm:
        return UNEXPECTED_ALGORITHM  # `none`, HS256 keyed by the public key, any other
    kid = token.header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > MAX_KEY_ID_CHARACTERS:
        return MALFORMED_SIGNATURE
    try:
        key = sender.keyring(options, kid, secrets)
    except keys.KeyRefused:
        return UNKNOWN_KEY
    if key is None:
        return UNKNOWN_KEY
    if not sender.verify_signature(key, token):
        return INVALID_SIGNATURE
    return sender.claims(options, token, body, now)


def describe(options: JwtOptions, headers: Headers, body: bytes, body_sha256: str) -> Delivery:
    return options.sender.describe(json_object(body), headers, body_sha256)


REQUIRES = ("cryptography",)
"""Imported on first use only; the functions' package carries it (components/packages.py)."""

SCHEMES: dict[str, Scheme[Any]] = {name: _family(name) for name in SENDERS}
