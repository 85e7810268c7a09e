"""Each named sender's preset verifies the independent test vector of its research: made by the
sender's official library where one exists, else its documentation's worked example (the
`vector` of its catalogue entry says which). A changed byte of the body, of a signed header or
of the URL fails; so does a wrong secret. Vectors are copied from the sources, never computed
here with our code.
"""

import base64
import hashlib

import pytest

from ops.signing import PUBLIC_KEY_SCHEMES
from tests.handlers.sender_vectors import VECTORS as MORE_VECTORS
from webhooks import schemes
from webhooks.providers import build
from webhooks.request import Call
from webhooks.signatures import INVALID_SIGNATURE

# name: (secret, method, url, headers, body, when, options)
VECTORS: dict[str, tuple[str, str, str, dict[str, str], bytes, int, dict[str, object]]] = {
    "bitbucket": (
        "It's a Secret to Everybody",
        "POST",
        "https://hooks.example.com/webhooks/bitbucket",
        {
            "X-Hub-Signature": "sha256=418ec9a2723c6e71b481640d06c775f7"
            "3a999834ff9204f300cd326aee9e7966",
            "X-Event-Key": "repo:push",
            "X-Request-UUID": "d1d3d6d5-0000-4000-8000-000000000001",
        },
        b'{"push":{"changes":[]},"repository":{"full_name":"team/repo"},"actor":{"display_name":"A"}}',
        0,
        {},
    ),
    "jira": (
        "It's a Secret to Everybody",
        "POST",
        "https://hooks.example.com/webhooks/jira",
        {
            "X-Hub-Signature": "sha256=a4771c39fbe90f317c7824e83ddef3ca"
            "ae9cb3d976c214ace1f2937e133263c9"
        },
        b"Hello World!",
        0,
        {},
    ),
    "linear": (
        "lin_wh_test_secret_0123456789",
        "POST",
        "https://hooks.example.com/webhooks/linear",
        {"Linear-Signature": "a8bb75df2f1fc53dcd95d867b3fa8bef7c7f46aa06654c453eaf8abddd1d1a34"},
        b'{"action":"create","type":"Issue","data":{"id":"2174add1-f7c8-44e3-bbf3-2d60b5ea8bc9",'
        b'"title":"Bug"},"url":"https://linear.app/acme/issue/ENG-1",'
        b'"createdAt":"2026-12-06T03:00:00.000Z","webhookTimestamp":1765000000000,'
        b'"webhookId":"00000000-0000-4000-8000-00000000000a"}',
        0,
        {},
    ),
    "twilio": (
        "12345",
        "POST",
        "https://mycompany.com/myapp.php?foo=1&bar=2",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
        },
        b"CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&From=%2B12349013030"
        b"&To=%2B18005551212",
        0,
        {},
    ),
    "square": (
        "asdf1234",
        "POST",
        "https://example.com/webhook",
        {"x-square-hmacsha256-signature": "PKekuoynxaRR930c9hyVlCVwRgusviYEzABBuM10WcQ="},
        b'{"merchant_id":"MLEFBHHSJGVHD","type":"customer.created",'
        b'"event_id":"6a8f5f28-54a1-4eb0-a98a-3111513fd4fc","created_at":"2026-12-06T03:00:00Z",'
        b'"data":{"type":"customer","id":"KMS3AB7XM1K7ZB3WQXNK3NCQEW"}}',
        0,
        {},
    ),
    "hubspot": (
        "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy",
        "POST",
        "https://www.example.com/webhook_uri?portalId=62515",
        {
            "X-HubSpot-Signature-v3": "rAPp+ivcuoiFudDBtNulF94AIyf0H3tJFZacqCWN3pw=",
            "X-HubSpot-Request-Timestamp": "1765000000000",
        },
        b'[{"eventId":100,"subscriptionId":12345,"portalId":62515,"appId":54321,'
        b'"occurredAt":1765000000000,"subscriptionType":"contact.creation","attemptNumber":0,'
        b'"objectId":123,"changeSource":"CRM","changeFlag":"NEW"}]',
        0,
        {},
    ),
    "clerk": (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "POST",
        "https://example.com/webhooks/clerk",
        {
            "svix-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "svix-timestamp": "1700000000",
            "svix-signature": "v1,GzlxOVbc6aYl7FFW89/oZTOk0xqxSAhZFtzZ5gDIm5U=",
        },
        b'{"data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","object":"user",'
        b'"first_name":"Example"},"event_attributes":{"http_request":{"client_ip":"0.0.0.0",'
        b'"user_agent":"test"}},"instance_id":"ins_123","object":"event",'
        b'"timestamp":1654012591835,"type":"user.created"}',
        1700000030,
        {},
    ),
    "resend": (
        "whsec_bzVsZXNlbmQtdGVzdC1zZWNyZXQtMTIzNDU2Nzg=",
        "POST",
        "https://example.com/webhooks/resend",
        {
            "svix-id": "msg_2cRd5bVEa1mnqVzn0RyAm0ym8fm",
            "svix-timestamp": "1700000000",
            "svix-signature": "v1,Hfezp7KJSV5JaP8wxNeWx8GcLp6zIQj1pq4MgcEuJbA=",
        },
        b'{"type":"email.delivered","created_at":"2024-02-22T23:41:12.126Z","data":{'
        b'"created_at":"2024-02-22T23:41:11.894719+00:00",'
        b'"email_id":"56761188-7520-42d8-8898-ff6fc54ce618","from":"Acme <onboarding@resend.dev>",'
        b'"to":["delivered@resend.dev"],"subject":"Sending this example"}}',
        1700000030,
        {},
    ),
    "openai": (
        "whsec_b3BlbmFpLXRlc3Qtd2ViaG9vay1zZWNyZXQtMzJieXRlcyE=",
        "POST",
        "https://example.com/webhooks/openai",
        {
            "webhook-id": "wh_685342e6c53c8190a1be43f081506c52",
            "webhook-timestamp": "1750287078",
            "webhook-signature": "v1,NCGCzLd0e/u+espE1xFzDIjE9oSfKnKtGcL6LeAw3z0=",
        },
        b'{"object":"event","id":"evt_685343a1381c819085d44c354e1b330e",'
        b'"type":"response.completed","created_at":1750287018,"data":{"id":"resp_abc123"}}',
        1750287078,
        {},
    ),
    "gitlab": (
        "s3cr3t-token",
        "POST",
        "https://example.com/webhooks/gitlab",
        {"X-Gitlab-Token": "s3cr3t-token", "Idempotency-Key": "f5e5f430", "X-Gitlab-Event": "Push"},
        b'{"object_kind":"push"}',
        0,
        {},
    ),
    "auth0": (
        "AKIAXXXXXXXXXXXXXXXX",
        "POST",
        "https://example.com/webhook/logs",
        {"Authorization": "AKIAXXXXXXXXXXXXXXXX"},
        b'[{"log_id":"9002","data":{"type":"s"}}]',
        0,
        {},
    ),
    "okta": (
        "my-shared-secret",
        "POST",
        "https://example.com/event-hook/",
        {"Authorization": "my-shared-secret"},
        b'{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0",'
        b'"eventId":"b5a188b9-5ece-4636-b041-482ffda96311","data":{"events":[]}}',
        0,
        {},
    ),
    "postmark": (
        "postmark-user:s3cr3t-Pass",
        "POST",
        "https://example.com/webhooks/postmark",
        {"Authorization": "Basic cG9zdG1hcmstdXNlcjpzM2NyM3QtUGFzcw=="},
        b'{"RecordType":"Delivery","MessageID":"883953f4-6105-42a2-a16a-77a8eac79483"}',
        0,
        {},
    ),
    "basic": (
        "Aladdin:open sesame",
        "POST",
        "https://example.com/hook",
        {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="},  # RFC 7617, section 2
        b"{}",
        0,
        {},
    ),
}
VECTORS.update(MORE_VECTORS)
PRESETS = tuple(name for name in schemes.names() if schemes.get(name).about is not None)


def family(name: str) -> str:
    about = schemes.get(name).about
    assert about is not None
    return about.family


def call(method: str, url: str, headers: dict[str, str]) -> Call:
    made = Call({name.lower(): value for name, value in headers.items()})
    made.method, made.url = method, url
    made.query = url.partition("?")[2]
    return made


def check(
    name: str, secret: str, method: str, url: str, headers: dict[str, str], body: bytes, when: int
) -> str | None:
    provider = build(name, name, "arn:secret", VECTORS[name][6])
    keys = (provider.signing_key(secret),)
    return provider.verify(call(method, url, headers), body, keys, when)


# The first six schemes, whose published examples and official-library cross-checks are in
# tests/handlers/test_signatures.py.
CLASSIC = {"github", "stripe", "shopify", "slack", "standard"}


def test_every_preset_has_its_vector() -> None:
    """Here, for a public-key sender in tests/handlers/test_pubkey_*.py (signed by its
    official library's counterpart, checked against its verifier), or for the classic ones in
    tests/handlers/test_signatures.py."""
    assert set(PRESETS) == set(VECTORS) | set(PUBLIC_KEY_SCHEMES) | CLASSIC


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_the_independent_vector_is_accepted(name: str) -> None:
    secret, method, url, headers, body, when, _ = VECTORS[name]
    assert check(name, secret, method, url, headers, body, when) is None


@pytest.mark.parametrize("name", sorted(VECTORS))
def test_a_wrong_secret_is_refused(name: str) -> None:
    secret, method, url, headers, body, when, _ = VECTORS[name]
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    if family(name) == "standard":  # keep the whsec_ format valid
        wrong = "whsec_" + base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode()
    assert check(name, wrong, method, url, headers, body, when) == INVALID_SIGNATURE


SIGNED = sorted(n for n in VECTORS if family(n) not in ("token", "in-body"))


@pytest.mark.parametrize("name", SIGNED)
def test_a_changed_body_byte_is_refused(name: str) -> None:
    secret, method, url, headers, body, when, _ = VECTORS[name]
    changed = body[:-2] + bytes([body[-2] ^ 1]) + body[-1:]
    assert check(name, secret, method, url, headers, changed, when) == INVALID_SIGNATURE


@pytest.mark.parametrize("name", ["twilio", "square", "hubspot"])
def test_a_changed_url_is_refused(name: str) -> None:
    secret, method, url, headers, body, when, _ = VECTORS[name]
    for changed in (url.replace("https:", "http:"), url + "x", url.replace(".com", ".org")):
        assert check(name, secret, method, changed, headers, body, when) == INVALID_SIGNATURE


def test_a_changed_form_parameter_is_refused() -> None:
    secret, method, url, headers, body, when, _ = VECTORS["twilio"]
    changed = body.replace(b"Digits=1234", b"Digits=1235")
    assert check("twilio", secret, method, url, headers, changed, when) == INVALID_SIGNATURE
    reordered = b"&".join(reversed(body.split(b"&")))  # the sender sorts: order is not signed
    assert check("twilio", secret, method, url, headers, reordered, when) is None


def test_a_changed_signed_header_is_refused() -> None:
    secret, method, url, headers, body, when, _ = VECTORS["hubspot"]
    later = {**headers, "X-HubSpot-Request-Timestamp": "1765000000001"}
    assert check("hubspot", secret, method, url, later, body, when) == INVALID_SIGNATURE
    secret, method, url, headers, body, when, _ = VECTORS["clerk"]
    other = {**headers, "svix-id": "msg_p5jXN8AQM9LWM0D4loKWxJeK"}
    assert check("clerk", secret, method, url, other, body, when) == INVALID_SIGNATURE


def test_a_wrong_method_is_refused_where_it_is_signed() -> None:
    secret, _, url, headers, body, when, _ = VECTORS["hubspot"]
    assert check("hubspot", secret, "PUT", url, headers, body, when) == INVALID_SIGNATURE


def test_every_listed_token_is_accepted() -> None:
    provider = build("okta", "okta", "arn", {})
    keys = (b"old-token", b"my-shared-secret")
    assert (
        provider.verify(call("POST", "", {"authorization": "my-shared-secret"}), b"", keys, 0)
        is None
    )
    assert provider.verify(call("POST", "", {"authorization": "old-token"}), b"", keys, 0) is None
    assert (
        provider.verify(call("POST", "", {"authorization": "my-shared-secreu"}), b"", keys, 0)
        == INVALID_SIGNATURE
    )


def test_a_basic_secret_is_user_colon_password() -> None:
    with pytest.raises(ValueError, match="user:password"):
        schemes.get("postmark").validate_secret("no-colon")


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("adyen", b'"value":1130', b'"value":1131'),
        ("adyen", b"TestPayment-1407325143704", b"TestPayment-1407325143705"),
        (
            "mailgun",
            b"e0b5477167110d68991efc6b9f89f0a11066af27834600e123",
            b"e0b5477167110d68991efc6b9f89f0a11066af27834600e124",
        ),
        ("mailgun", b'"timestamp":"1765000000"', b'"timestamp":"1765000001"'),
        (
            "microsoft-graph",
            b'"clientState":"secretClientValue"',
            b'"clientState":"secretClientValuf"',
        ),
    ],
)
def test_a_changed_signed_field_in_the_body_is_refused(name: str, old: bytes, new: bytes) -> None:
    secret, method, url, headers, body, when, _ = VECTORS[name]
    assert old in body
    assert check(name, secret, method, url, headers, body.replace(old, new, 1), when) is not None


def test_every_item_of_a_batch_is_checked() -> None:
    secret, method, url, headers, body, when, _ = VECTORS["microsoft-graph"]
    item = body[body.index(b"[") + 1 : body.rindex(b"]")]
    forged = item.replace(b"secretClientValue", b"guessedValue")
    batch = body.replace(item, item + b"," + forged)
    assert check("microsoft-graph", secret, method, url, headers, batch, when) == INVALID_SIGNATURE


def test_mailgun_refuses_a_stale_signature() -> None:
    secret, method, url, headers, body, when, _ = VECTORS["mailgun"]
    assert check("mailgun", secret, method, url, headers, body, when + 901) == "stale timestamp"


def test_docusign_accepts_any_numbered_signature() -> None:
    _, method, url, headers, body, when, _ = VECTORS["docusign"]
    second = "AnotherConnectKeyForRotation0000000000000000="
    assert check("docusign", second, method, url, headers, body, when) is None


def test_pagerduty_accepts_either_signature_of_a_rotation() -> None:
    _, method, url, headers, body, when, _ = VECTORS["pagerduty"]
    old = "oldSecretValue-ROTATING-1234567890abcdef"
    assert check("pagerduty", old, method, url, headers, body, when) is None
