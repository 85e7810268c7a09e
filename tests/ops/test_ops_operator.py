"""What an operator types means what it says: times are instants, a subscriber's replay is its
rule's, every DLQ is reachable, output is parseable, help states defaults, errors name the cure."""

import argparse
import json
from pathlib import Path

import pytest

from hookgate.components.subscribers import SubscriberSettings
from ops import cli, dlq_replay, outputs
from tests.ops.conftest import store_event
from webhooks.storage import item_key

REPO = {"repository": {"full_name": "acme/api"}, "ref": "refs/heads/main"}
OTHER = {"repository": {"full_name": "acme/web"}, "ref": "refs/heads/main"}


def run(stack, *args: str) -> int:
    return cli.main(["--outputs", stack.source, *args])


def _write(stack, **changes: object) -> None:
    values = {**json.loads(Path(stack.source).read_text()), **changes}
    Path(stack.source).write_text(json.dumps(values))


# --- --since / --until ------------------------------------------------------------------------

MALFORMED = ["yesterday", "2026-13-45", "nope", "1795000000", "2026-11-18T25:00", "18/11/2026"]


@pytest.mark.parametrize("text", MALFORMED)
@pytest.mark.parametrize(
    "command",
    [
        ["events", "list", "--since"],
        ["events", "replay", "--provider", "github", "--since"],
        ["events", "replay", "--provider", "github", "--until"],
        ["rejections", "--since"],
    ],
)
def test_every_malformed_time_is_refused(stack, capsys, command, text) -> None:
    assert run(stack, *command, text) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {command[-1]} {text!r} is not ")
    assert "ISO-8601" in err or "valid date-time" in err


def test_until_before_since_is_refused(stack, capsys) -> None:
    argv = ["events", "replay", "--provider", "github", "--since", "2026-11-18T12:00"]
    assert run(stack, *argv, "--until", "2026-11-18T11:00") == 1
    assert "is before --since" in capsys.readouterr().err


def test_times_with_an_offset_select_by_instant_not_by_text(stack, capsys) -> None:
    store_event(stack, "github", "early", b'{"n": 1}', at=0)  # 11:06:40.000Z
    store_event(stack, "github", "late", b'{"n": 2}', at=120_000)  # 11:08:40.000Z

    def listed(since: str) -> list[str]:
        assert run(stack, "events", "list", "--provider", "github", "--since", since) == 0
        return [row.split("\t")[2] for row in capsys.readouterr().out.splitlines()[1:]]

    # 12:07+01:00 is 11:07Z: only the later event; as text "2026-11-18T12:07" sorts after both
    assert listed("2026-11-18T12:07+01:00") == ["late"]
    assert listed("2026-11-18 11:07") == ["late"]  # a space for T, no offset: UTC
    assert listed("2026-11-18T11:06:40Z") == ["late", "early"]  # inclusive, to the millisecond
    assert listed("2026-11-18") == ["late", "early"]  # a date is its midnight
    assert listed("2026-11-18T11:08:40.001Z") == []


# --- events list / show -----------------------------------------------------------------------


def test_events_list_lists_events_only_and_aliases_never_count_towards_the_limit(
    stack, capsys
) -> None:
    dynamodb, table = stack.client("dynamodb"), stack.text("table_name")
    for n in range(5):  # alias items of content dedupe: a key, a set of event keys, no body
        dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": item_key("github", f"alias-{n}")}, "events": {"SS": ["x"]}},
        )
    store_event(stack, "github", "only", b'{"n": 1}')
    assert run(stack, "events", "list", "--limit", "1") == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split("\t") == [
        "provider",
        "received_at",
        "delivery_id",
        "event_type",
        "body_size",
    ]
    assert [row.split("\t")[2] for row in rows[1:]] == ["only"]


def test_json_output_is_one_object_per_line(stack, capsys) -> None:
    store_event(stack, "github", "d-1", b'{"n": 1}', at=1)
    store_event(stack, "github", "d-2", b'{"n": 2}', at=2)
    stack.client("dynamodb").update_item(  # a duplicate's id, as the processor adds it: a set
        TableName=stack.text("table_name"),
        Key={"pk": {"S": item_key("github", "d-1")}},
        UpdateExpression="ADD delivery_ids :id",
        ExpressionAttributeValues={":id": {"SS": ["d-1", "d-1b"]}},
    )
    assert run(stack, "events", "list", "--json") == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["delivery_id"] for e in listed] == ["d-2", "d-1"]
    assert listed[0]["body_size"] == 8

    assert run(stack, "events", "show", "github", "d-1", "--json") == 0
    [shown] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert shown["headers"] == {"user-agent": "GitHub-Hookshot/abc"}  # an object, not text
    assert shown["delivery_ids"] == ["d-1", "d-1b"]  # a list, not a Python set's repr

    assert run(stack, "events", "show", "github", "d-1") == 0
    out = capsys.readouterr().out
    assert json.loads(out)["headers"] == {"user-agent": "GitHub-Hookshot/abc"}
    assert "{'" not in out and "set(" not in out


# --- help ---------------------------------------------------------------------------------------


def _parsers(parser: argparse.ArgumentParser, path: str = "ops"):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def test_every_option_has_help_with_its_default_and_no_source_file() -> None:
    for path, parser in _parsers(cli.parser()):
        for action in parser._actions:
            if not action.option_strings or isinstance(action, argparse._HelpAction):
                continue
            assert action.help, f"{path} {action.option_strings[0]} has no help"
            named = "default" in action.help or "required" in action.help
            assert named, f"{path} {action.option_strings[0]}: no default in {action.help!r}"
        text = parser.format_help()
        assert ".py" not in text, f"`{path} --help` refers the reader to a source file"


def test_ops_help_names_every_command_group(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for group in ("send", "events", "subscribers", "dlq", "rejections"):
        assert f"    {group} " in text


# --- errors name the cure ---------------------------------------------------------------------


def test_missing_outputs_name_make_local_and_source_env(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(outputs.ENV_VAR, raising=False)
    assert cli.main(["events", "list"]) == 1
    err = capsys.readouterr().err
    assert "is `make local` running?" in err and "source .local/env" in err


def test_a_stopped_stack_names_the_endpoint_it_tried(stack, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert run(stack, "dlq", "depth") == 1
    err = capsys.readouterr().err
    assert "cannot reach the AWS endpoint http://127.0.0.1:9" in err
    assert "is `make local` running?" in err


# --- dead-letter queues -----------------------------------------------------------------------


@pytest.fixture
def subscribed(stack):
    """The stack with a managed subscriber `ci` (payload filter) and a target subscriber."""
    sqs, events = stack.client("sqs"), stack.client("events")
    arn = stack.text("queue_arn").rsplit(":", 1)[0]

    def queue(name: str) -> tuple[str, str]:
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        return url, f"{arn}:{name}"

    (ci_url, ci_arn), (ci_dlq, ci_dlq_arn) = queue("sub-ci"), queue("sub-ci-dlq")
    (ext_dlq, ext_dlq_arn), (pub_dlq, pub_dlq_arn) = queue("sub-ext-dlq"), queue("publish-dlq")
    bus = events.create_event_bus(Name="webhooks-test")["EventBusArn"]
    pattern = SubscriberSettings(
        name="ci", providers=("github",), payload=(("repository.full_name", ("acme/api",)),)
    ).event_pattern()
    rule = events.put_rule(
        Name="webhooks-sub-ci-test", EventBusName="webhooks-test", EventPattern=json.dumps(pattern)
    )["RuleArn"]
    ext = events.put_rule(
        Name="webhooks-sub-ext-test",
        EventBusName="webhooks-test",
        EventPattern=json.dumps({"source": ["webhooks.github"]}),
    )["RuleArn"]
    _write(
        stack,
        bus_name="webhooks-test",
        bus_arn=bus,
        subscriber_rules={"ci": rule, "ext": ext},
        subscriber_queue_urls={"ci": ci_url},
        subscriber_queue_arns={"ci": ci_arn},
        subscriber_dlq_urls={"ci": ci_dlq, "ext": ext_dlq},
        subscriber_dlq_arns={"ci": ci_dlq_arn, "ext": ext_dlq_arn},
        subscriber_targets={"ext": "arn:aws:lambda:eu-west-1:123456789012:function:ext"},
        publish_dlq_url=pub_dlq,
        publish_dlq_arn=pub_dlq_arn,
        publish_match_paths=["repository.full_name"],
    )
    return outputs.load(stack.source)


def test_a_subscribers_dlq_round_trip_journals_in_the_stacks_state_dir(subscribed, capsys) -> None:
    sqs = subscribed.client("sqs")
    dlq_url = subscribed.mapping("subscriber_dlq_urls")["ci"]
    sqs.send_message(QueueUrl=dlq_url, MessageBody="parked")
    assert run(subscribed, "dlq", "depth", "--queue", "ci") == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split() for row in rows] == [["queue", "0", "0", "0"], ["dlq", "1", "0", "0"]]

    assert run(subscribed, "dlq", "replay", "--queue", "ci", "--max", "5") == 0
    assert "moved 1 message(s)" in capsys.readouterr().out
    ci_url = subscribed.mapping("subscriber_queue_urls")["ci"]
    got = sqs.receive_message(QueueUrl=ci_url, VisibilityTimeout=60)["Messages"]
    assert [m["Body"] for m in got] == ["parked"]
    state = Path(subscribed.source).parent / ".ops" / dlq_replay.JOURNAL_DIR
    assert state.is_dir()  # the journal lived there (removed once empty), not in the cwd
    assert not (Path.cwd() / ".local").exists()


def test_the_publish_dlq_has_a_depth_and_a_replay_that_keeps_what_it_cannot_read(
    subscribed, capsys
) -> None:
    """The publish DLQ's messages are Lambda's records of stream batches: replayed from the
    table (tests/integration/test_publish_poison.py end to end); a message that is no such
    record stays in the DLQ, visible again, and the command says why and fails."""
    assert run(subscribed, "dlq", "depth", "--queue", "publish") == 0
    assert [r.split()[0] for r in capsys.readouterr().out.splitlines()[1:]] == ["dlq"]
    assert run(subscribed, "dlq", "replay", "--queue", "publish") == 0
    assert "from 0 publish-DLQ message(s)" in capsys.readouterr().out
    sqs = subscribed.client("sqs")
    url = subscribed.text("publish_dlq_url")
    sqs.send_message(QueueUrl=url, MessageBody='{"not": "an on-failure record"}')
    assert run(subscribed, "dlq", "replay", "--queue", "publish") == 1
    assert "error:" in capsys.readouterr().err
    kept = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in kept] == ['{"not": "an on-failure record"}']


def test_an_unknown_queue_lists_the_known_ones(subscribed, capsys) -> None:
    assert run(subscribed, "dlq", "depth", "--queue", "cj") == 1
    assert "--queue is one of main, publish, ci, ext" in capsys.readouterr().err
    assert run(subscribed, "dlq", "replay", "--queue", "ext") == 1
    assert "has its own target" in capsys.readouterr().err


# --- replay to one subscriber: only what its rule matches ------------------------------------


def test_a_replay_to_a_subscriber_sends_exactly_what_its_rule_matches(subscribed, capsys) -> None:
    big = {**REPO, "padding": "x" * 1000}
    store_event(subscribed, "github", "repo-inline", json.dumps(REPO).encode(), at=1)
    store_event(subscribed, "github", "other-inline", json.dumps(OTHER).encode(), at=2)
    store_event(
        subscribed, "github", "repo-archived", json.dumps(big).encode(), at=3, archived=True
    )
    store_event(
        subscribed, "github", "other-archived", json.dumps({**OTHER, "p": "y"}).encode(), at=4,
        archived=True,
    )  # fmt: skip
    argv = ["events", "replay", "--provider", "github", "--subscriber", "ci", "--rate", "0"]
    assert run(subscribed, *argv) == 0
    assert capsys.readouterr().out.strip() == (
        "4 read, 2 skipped by the filter, published 2 event(s)"
    )
    sqs = subscribed.client("sqs")
    url = subscribed.mapping("subscriber_queue_urls")["ci"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    details = [json.loads(m["Body"])["detail"] for m in got]
    assert sorted(d["delivery_id"] for d in details) == ["repo-archived", "repo-inline"]
    assert all(d["replayed"] is True for d in details)
    assert all(d["match"] == {"repository": {"full_name": "acme/api"}} for d in details)


def test_event_type_takes_a_prefix_as_subscribers_do(subscribed, capsys) -> None:
    for n, kind in enumerate(("pull_request", "pull_request_review", "push")):
        store_event(subscribed, "github", kind, json.dumps(REPO).encode(), at=n, event_type=kind)
    argv = ["events", "replay", "--provider", "github", "--dry-run", "--event-type"]
    assert run(subscribed, *argv, "pull_request*") == 0
    captured = capsys.readouterr()
    assert captured.out.split() == ["github#pull_request", "github#pull_request_review"]
    assert "3 read, 1 skipped by the filter, 2 would be published" in captured.err
    assert run(subscribed, *argv, "pull_request") == 0
    assert capsys.readouterr().out.split() == ["github#pull_request"]
    assert run(subscribed, *argv, "*") == 1
    assert "is not an event type" in capsys.readouterr().err


def test_a_replays_checkpoint_lives_in_the_stacks_state_dir(subscribed, capsys) -> None:
    from ops import events_replay

    query = {"provider": "github", "since": None, "until": None}
    path = events_replay.default_checkpoint(subscribed.state_dir, {**query, "event_type": None,
                                                                "subscriber": "ci"})  # fmt: skip
    assert path.is_relative_to(Path(subscribed.source).parent / ".ops")


# --- rejections -------------------------------------------------------------------------------


def _rejected(provider: str, status: int, reason: str, at_ms: int) -> str:
    """A line as the ingest function writes it (`Receiver._reject`: EMF plus the record)."""
    return json.dumps(
        {
            "_aws": {"Timestamp": at_ms, "CloudWatchMetrics": []},
            "level": "WARNING",
            "message": "rejected",
            "provider": provider,
            "status": status,
            "request_id": "r-1",
            "Reason": reason,
        }
    )


def test_rejections_of_a_real_stack_come_from_cloudwatch_logs(stack, capsys) -> None:
    import time

    _write(stack, ingest_function_name="webhooks-ingest-test")
    logs = stack.client("logs")
    group = "/aws/lambda/webhooks-ingest-test"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    lines = [
        _rejected("github", 401, "signature mismatch", now - 2000),
        json.dumps({"level": "INFO", "message": "stored", "provider": "github"}),
        _rejected("stripe", 401, "timestamp outside tolerance", now - 1000),
        _rejected("github", 413, "body too large", now),
    ]
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": line} for line in lines],
    )
    assert run(stack, "rejections", "--provider", "github") == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split("\t") == ["time", "provider", "status", "reason", "source_ip"]
    assert [row.split("\t")[1:4] for row in rows] == [
        ["github", "401", "signature mismatch"],
        ["github", "413", "body too large"],
    ]
    assert run(stack, "rejections", "--reason", "TIMESTAMP", "--json") == 0
    [found] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert found["provider"] == "stripe" and found["status"] == 401


def test_rejections_of_a_missing_log_group_say_why(stack, capsys) -> None:
    _write(stack, ingest_function_name="webhooks-ingest-none")
    assert run(stack, "rejections") == 1
    assert "no log group /aws/lambda/webhooks-ingest-none" in capsys.readouterr().err


def test_the_local_stacks_outputs_without_its_environment_name_the_env_file(
    stack, monkeypatch, capsys
) -> None:
    """Not a call to AWS itself with the local stack's names: the cure instead."""
    state = Path(stack.source).parent
    (state / "env").write_text(
        "export AWS_ENDPOINT_URL=http://127.0.0.1:4566\n"
        f"export {outputs.ENV_VAR}={state / 'outputs.json'}\n"
    )
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert run(stack, "dlq", "depth") == 1
    err = capsys.readouterr().err
    assert "local stack's outputs (emulator http://127.0.0.1:4566)" in err
    assert f"run `source {state / 'env'}`" in err
