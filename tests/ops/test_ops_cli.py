"""`python -m ops` against a stack in moto: outputs, send, events, dlq; errors, no tracebacks."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from ops import cli, events, outputs
from tests.ops.conftest import ACME_OPTIONS, PROVIDERS, SECRETS
from tests.ops.conftest import store_event as _store
from webhooks import providers


def run(stack, *args: str) -> int:
    return cli.main(["--outputs", stack.source, *args])


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.received.append((self.path, headers, body))
        answer = b'{"delivery_id": "from-server"}'
        self.send_response(202)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver(stack):
    """An HTTP server standing in for the API; the outputs' URLs point at it."""
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/webhooks"
    values = dict(stack.values, webhook_urls={name: f"{base}/{name}" for name in PROVIDERS})
    with open(stack.source, "w") as file:
        json.dump(values, file)
    yield _Receiver.received
    server.shutdown()
    server.server_close()


def test_missing_outputs_file_is_a_clear_error(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(outputs.ENV_VAR, raising=False)
    assert cli.main(["dlq", "depth"]) == 1
    error = capsys.readouterr().err
    assert "no stack outputs at .local/outputs.json" in error
    assert "make local" in error and "pulumi stack output --json --show-secrets" in error
    assert "Traceback" not in error


def test_outputs_file_comes_from_the_environment(stack, monkeypatch, capsys) -> None:
    monkeypatch.setenv(outputs.ENV_VAR, stack.source)
    assert cli.main(["dlq", "depth"]) == 0
    assert "dlq" in capsys.readouterr().out


def test_unknown_provider_names_the_configured_ones(stack, capsys) -> None:
    assert run(stack, "send", "gitlab") == 1
    error = capsys.readouterr().err
    assert "unknown provider 'gitlab'" in error
    assert "acme, github, shopify, slack, standard, stripe" in error


def test_aws_refusal_is_one_line(stack, capsys) -> None:
    values = dict(stack.values, table_name="no-such-table")
    with open(stack.source, "w") as file:
        json.dump(values, file)
    assert run(stack, "events", "show", "github", "d-1") == 1
    error = capsys.readouterr().err
    assert error.startswith("error: AWS refused GetItem: ResourceNotFoundException")
    assert "Traceback" not in error


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_send_signs_with_the_current_secret_as_the_receiver_verifies(
    stack, receiver, provider, capsys
) -> None:
    assert run(stack, "send", provider, "--delivery-id", "d-42", "--repeat", "2") == 0

    assert capsys.readouterr().out.splitlines() == ['202 {"delivery_id": "from-server"}'] * 2
    assert len(receiver) == 2
    path, headers, body = receiver[0]
    assert path == f"/webhooks/{provider}"
    options = ACME_OPTIONS if provider == "acme" else {"scheme": PROVIDERS[provider]}
    config = providers.parse(json.dumps({provider: {**options, "secret_arn": "a"}}))
    assert config[provider].scheme.name == PROVIDERS[provider]
    key = config[provider].signing_key(SECRETS[provider])
    assert config[provider].verify(headers, body, [key], int(time.time())) is None
    assert b"d-42" in body or "d-42" in headers.values()
    assert receiver[1][2] == body  # the same delivery, signed again


def test_forged_send_fails_verification_and_expects_401(stack, receiver, capsys) -> None:
    assert run(stack, "send", "github", "--forge") == 1  # the stand-in answered 202, not 401
    _, headers, body = receiver[0]
    config = providers.parse(json.dumps({"github": {"scheme": "github", "secret_arn": "a"}}))
    key = config["github"].signing_key(SECRETS["github"])
    assert config["github"].verify(headers, body, [key], int(time.time())) is not None


def test_send_body_file_and_size(stack, receiver, tmp_path) -> None:
    (tmp_path / "body.json").write_bytes(b'{"custom": true}')
    assert run(stack, "send", "shopify", "--body", str(tmp_path / "body.json")) == 0
    assert run(stack, "send", "shopify", "--size", "5000") == 0
    assert [len(body) for _, _, body in receiver] == [16, 5000]


def test_send_to_an_unreachable_url_is_a_clear_error(stack, capsys) -> None:
    assert run(stack, "send", "github") == 1  # the fixture's URLs point at port 9 (discard)
    assert capsys.readouterr().err.startswith(
        "error: cannot reach http://127.0.0.1:9/webhooks/github"
    )


def test_events_list_and_show(stack, capsys) -> None:
    _store(stack, "github", "d-1", b'{"n": 1}', at=1)
    _store(stack, "github", "d-2", b'{"n": 2}', at=2)
    _store(stack, "stripe", "evt_1", b'{"n": 3}', at=3)

    assert run(stack, "events", "list", "--provider", "github") == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split("\t") == list(events.LISTED)
    assert [line.split("\t")[2] for line in lines] == ["d-2", "d-1"]  # newest first
    assert run(stack, "events", "list", "--limit", "2") == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 + 2
    assert run(stack, "events", "list", "--provider", "github", "--since", "2999-01-01") == 0
    assert capsys.readouterr().out.splitlines()[1:] == []

    assert run(stack, "events", "show", "github", "d-1") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["delivery_id"] == "d-1" and shown["body_size"] == 8
    assert shown["payload"].endswith("bytes, zlib>")

    assert run(stack, "events", "show", "github", "d-missing") == 1
    assert "no stored event github/d-missing" in capsys.readouterr().err


def test_events_show_body_writes_the_original_bytes(stack, capsysbinary) -> None:
    inline, archived = b"\x00\xffbinary \xe9", b'{"big": "' + b"x" * 300_000 + b'"}'
    _store(stack, "github", "d-inline", inline)
    _store(stack, "github", "d-archived", archived, archived=True)

    assert run(stack, "events", "show", "github", "d-inline", "--body") == 0
    assert capsysbinary.readouterr().out == inline
    assert run(stack, "events", "show", "github", "d-archived", "--body") == 0
    assert capsysbinary.readouterr().out == archived


def test_dlq_depth_and_replay_fall_back_to_moving_messages(stack, capsys) -> None:
    sqs = stack.client("sqs")
    sqs.send_message(QueueUrl=stack.text("dlq_url"), MessageBody="parked")

    assert run(stack, "dlq", "depth") == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()[1:]}
    assert rows == {"queue": ["0", "0", "0"], "dlq": ["1", "0", "0"]}

    assert run(stack, "dlq", "replay") == 0
    captured = capsys.readouterr()
    assert "no StartMessageMoveTask" in captured.err
    assert "moved 1 message(s)" in captured.out
    received = sqs.receive_message(QueueUrl=stack.text("queue_url"), VisibilityTimeout=60)
    assert [m["Body"] for m in received["Messages"]] == ["parked"]


def test_usage_errors_exit_2(stack, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(stack, "send", "github", "--repeat", "0")
    assert exit_info.value.code == 2
    assert "0 is not a positive integer" in capsys.readouterr().err


def test_hmac_options_come_from_the_flag_when_the_stack_has_none(stack, receiver, capsys) -> None:
    values = json.loads(Path(stack.source).read_text())
    del values["provider_options"]
    with open(stack.source, "w") as file:
        json.dump(values, file)
    options = {k: v for k, v in ACME_OPTIONS.items() if k != "scheme"}

    assert run(stack, "send", "acme") == 0  # the stand-in accepts anything
    assert "warning: no header options known for hmac provider 'acme'" in capsys.readouterr().err
    assert run(stack, "send", "acme", "--options", json.dumps(options)) == 0
    assert "warning" not in capsys.readouterr().err

    _, headers, body = receiver[1]
    config = providers.parse(json.dumps({"acme": {**ACME_OPTIONS, "secret_arn": "a"}}))
    key = config["acme"].signing_key(SECRETS["acme"])
    assert config["acme"].verify(headers, body, [key], int(time.time())) is None
    _, headers, body = receiver[0]
    assert config["acme"].verify(headers, body, [key], int(time.time())) is not None
