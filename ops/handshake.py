"""`python -m ops handshake <provider>`: make the sender's handshake against the stack and judge
the answer the way the sender does (the requests and the checks are `ops.signing.handshake`, or
`ops.pubkey_signing.handshake` for a sender signing with its private key: the local stack's)."""

import argparse
import sys
import urllib.error
import urllib.request
from typing import Any

from ops import outputs, send, signing
from ops.errors import OpsError


def perform(url: str, step: signing.HandshakeStep) -> tuple[int, dict[str, str], bytes]:
    """One request of a handshake: (status, lower-case headers, body) of the answer."""
    target = f"{url}?{step.query}" if step.query else url
    request = urllib.request.Request(  # noqa: S310 - the stack's own URL
        target,
        data=step.body if step.method != "GET" and step.method != "HEAD" else None,
        headers=step.headers,
        method=step.method,
    )
    try:
        with urllib.request.urlopen(request, timeout=send.TIMEOUT_SECONDS) as answer:  # noqa: S310
            return answer.status, _lower(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, _lower(answer.headers.items()), answer.read()
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise OpsError(f"cannot reach {url}: {getattr(error, 'reason', error)}") from None


def _lower(items: Any) -> dict[str, str]:
    return {str(name).lower(): str(value) for name, value in items}


def run_handshake(stack: outputs.Outputs, provider: str) -> list[str]:
    """Every step's problem (empty when the stack answers as the sender expects)."""
    scheme = stack.provider(provider)
    if scheme not in signing.HANDSHAKES:
        raise OpsError(
            f"provider {provider!r} (scheme {scheme}) makes no handshake; "
            f"senders that do: {', '.join(signing.HANDSHAKES)}"
        )
    url = send.provider_url(stack, provider)
    if scheme in signing.PUBLIC_KEY_SCHEMES:
        from ops import pubkey_signing

        sender = send.public_key_sender(stack, scheme)
        steps = pubkey_signing.handshake(
            scheme, sender.keys, origin=sender.origin, region=sender.region
        )
    else:
        steps = signing.handshake(
            scheme,
            send.current_secret(stack, provider),
            options=send.provider_options(stack, provider),
        )
    problems = []
    for step in steps:
        status, headers, body = perform(url, step)
        problem = step.check(status, headers, body)
        print(f"{step.method} {status} {body[:200].decode(errors='replace')}")
        if problem:
            problems.append(problem)
    return problems


def register(commands: Any) -> None:
    """Add the `handshake` command to the CLI's subcommands."""
    p = commands.add_parser(
        "handshake", help="make the provider's sender handshake and check the answer"
    )
    p.add_argument("provider")
    p.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    problems = run_handshake(outputs.load(args.outputs), args.provider)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0
