"""The scheme registry: every scheme module is listed, and a function imports only the schemes
its providers use (the cold-start saving `schemes/__init__.py` claims)."""

import importlib
import json
import os
import subprocess
import sys

import pytest

from hookgate import HANDLERS_DIR
from webhooks import schemes
from webhooks.delivery import Delivery

SCHEMES_DIR = HANDLERS_DIR / "webhooks" / "schemes"
_SHARED = {"__init__", "base", "handshakes", "publickeys"}


def test_every_scheme_module_is_built_in_under_its_schemes_name() -> None:
    modules = {path.stem for path in SCHEMES_DIR.glob("*.py")} - _SHARED
    assert set(schemes.BUILT_IN.values()) == modules
    for name in schemes.BUILT_IN:
        assert schemes.get(name).name == name
    # a sender is data: every name that is not its module's family is one of its presets
    for name, module in schemes.BUILT_IN.items():
        family = importlib.import_module(f"webhooks.schemes.{module}")
        if hasattr(family, "SCHEMES"):  # a public-key family: one scheme per sender's data
            assert name in family.SCHEMES
        else:
            assert name == family.SCHEME.name or name in family.PRESETS


def test_a_built_in_name_cannot_be_registered_or_removed() -> None:
    impostor = schemes.Scheme(
        "github", lambda values: None, lambda *_: None, lambda *_: Delivery("", "", {})
    )
    with pytest.raises(ValueError, match="registered already"):
        schemes.register(impostor)
    with pytest.raises(ValueError, match="built in"):
        schemes.unregister("github")


def test_unknown_names_list_every_scheme_in_order() -> None:
    assert schemes.find("nope") is None
    assert schemes.find(3) is None
    with pytest.raises(LookupError) as raised:
        schemes.get("nope")
    assert str(raised.value) == f"unknown scheme 'nope'; registered: {', '.join(schemes.names())}"
    assert schemes.names()[:6] == ("github", "stripe", "shopify", "slack", "standard", "hmac")


_IMPORTED_SCHEMES = """
import json, sys
from webhooks.ingest_settings import IngestHandlerSettings
settings = IngestHandlerSettings.from_environ()
print(json.dumps(sorted(m for m in sys.modules if m.startswith("webhooks.schemes."))))
"""


def _schemes_imported(providers: dict[str, dict[str, str]]) -> list[str]:
    """The scheme modules a fresh ingest function imports for these providers."""
    environ = {
        "PYTHONPATH": str(HANDLERS_DIR),
        "PATH": os.environ.get("PATH", ""),
        "QUEUE_URL": "https://sqs.example/q",
        "ARCHIVE_BUCKET": "archive",
        "ENVIRONMENT": "test",
        "PROVIDERS": json.dumps(providers),
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter on our own probe
        [sys.executable, "-c", _IMPORTED_SCHEMES],
        env=environ,
        cwd=HANDLERS_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    modules: list[str] = json.loads(done.stdout)
    return modules


def test_the_ingest_function_imports_only_the_schemes_it_is_configured_with() -> None:
    github_only = {"gh": {"scheme": "github", "secret_arn": "arn:1"}}
    assert _schemes_imported(github_only) == ["webhooks.schemes.base", "webhooks.schemes.github"]
    two = github_only | {"acme": {"scheme": "hmac", "secret_arn": "arn:2"}}
    assert _schemes_imported(two) == [
        "webhooks.schemes.base",
        "webhooks.schemes.generic_hmac",
        "webhooks.schemes.github",
    ]


def test_a_named_sender_imports_its_family_only_and_handshakes_only_when_it_has_one() -> None:
    okta = {"o": {"scheme": "okta", "secret_arn": "arn:1"}}  # token family, GET handshake
    assert _schemes_imported(okta) == [
        "webhooks.schemes.base",
        "webhooks.schemes.handshakes",
        "webhooks.schemes.token",
    ]
    linear = {"l": {"scheme": "linear", "secret_arn": "arn:2"}}  # no handshake
    assert _schemes_imported(linear) == ["webhooks.schemes.base", "webhooks.schemes.generic_hmac"]
    clerk = {"c": {"scheme": "clerk", "secret_arn": "arn:3"}}  # a preset of Standard Webhooks
    assert _schemes_imported(clerk) == ["webhooks.schemes.base", "webhooks.schemes.standard"]
