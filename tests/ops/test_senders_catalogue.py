"""`python -m ops senders`: the catalogue without a stack, and docs/senders.md generated from it."""

import json
from pathlib import Path

from hookgate.components.settings import parse_settings
from ops import senders
from ops.cli import main
from ops.pubkey_signing import SenderKeys, provider_options
from ops.signing import PUBLIC_KEY_SCHEMES
from webhooks import schemes
from webhooks.keys import LOCAL_STACK_VARIABLE

DOC = Path(__file__).parents[2] / "docs" / "senders.md"


def test_docs_senders_md_is_the_catalogue() -> None:
    assert DOC.read_text() == senders.markdown(), "run: python -m ops senders --markdown"


def test_the_catalogue_needs_no_stack(capsys, tmp_path) -> None:
    assert main(["--outputs", str(tmp_path / "missing.json"), "senders", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    names = [entry["name"] for entry in entries]
    assert names == [n for n in schemes.names() if schemes.get(n).about is not None]
    for entry in entries:
        assert entry["docs"].startswith("https://")
        assert entry["vector"] and entry["signed"] and entry["family"]


def test_every_example_is_a_valid_provider_entry(monkeypatch) -> None:
    """Each example, as a user writes it in the stack config, passes the program's settings;
    a public-key sender's with the options the local stack adds (its test keys and key server,
    `LocalStack._serve_sender_keys`), and only with them."""
    keys = SenderKeys.generate()
    monkeypatch.setenv(LOCAL_STACK_VARIABLE, "1")
    for entry in senders.catalogue():
        name = entry["name"]
        secret = schemes.get(name).new_development_secret()
        example = dict(entry["example"])
        if name in PUBLIC_KEY_SCHEMES:
            local = provider_options(name, keys, "http://127.0.0.1:9", "eu-west-1")
            example = {**local, **example}
        raw = {
            "environment": "dev",
            "providers": {name: example},
            "secrets": {name: secret},
        }
        [provider] = parse_settings(raw).providers
        assert provider.scheme == name


def test_a_reader_that_stops_early_is_no_error() -> None:
    """`python -m ops senders | head -3`: the closed pipe ends the command quietly, exit 0,
    never a traceback."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "ops", "senders"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:  # noqa: S603
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()  # as `head` does once it has its lines
        error = process.stderr.read()
        assert process.wait(timeout=30) == 0
    assert b"Traceback" not in error
