"""The operator's first hour, end to end: a subscriber's replay is its rule's, and a refused
delivery can be looked up with its reason."""

import json
import time
from datetime import UTC, datetime, timedelta

from ops import cli
from tests.integration.harness import Pipeline, wait_for
from tests.integration.test_subscribers import OTHER, REPO, Inbox, _send


def _since() -> str:
    """A second ago, written with an offset: the CLI converts it to UTC."""
    return (datetime.now(UTC) - timedelta(seconds=1)).isoformat()


def test_a_replay_to_a_subscriber_sends_exactly_what_its_rule_matches(
    pipeline: Pipeline, local_only: None, tmp_path, capsys
) -> None:
    """ci's rule: github pushes of acme/api only; inline and claim-checked bodies alike."""
    inbox = Inbox(pipeline)
    inbox.drain()
    since = _since()
    limit = pipeline.outputs.values["inline_body_limit"]
    assert isinstance(limit, int)

    def body(fields: dict, kind: str, padding: int = 0) -> bytes:
        return json.dumps({**fields, "operator_test": kind, "padding": "x" * padding}).encode()

    ids = {
        "repo": _send(pipeline, "github", body=body(REPO, "a"), event_type="push"),
        "other": _send(pipeline, "github", body=body(OTHER, "b"), event_type="push"),
        "repo-big": _send(pipeline, "github", body=body(REPO, "c", limit), event_type="push"),
        "other-big": _send(pipeline, "github", body=body(OTHER, "d", limit), event_type="push"),
    }
    live = {ids["repo"]: {"ci", "everything"}, ids["repo-big"]: {"ci", "everything"}}
    inbox.wait({**live, ids["other"]: {"everything"}, ids["other-big"]: {"everything"}})
    inbox.got = {name: {} for name in inbox.queues}
    capsys.readouterr()

    argv = ["events", "replay", "--provider", "github", "--subscriber", "ci", "--since", since]
    assert cli.main([*argv, "--rate", "0", "--checkpoint", str(tmp_path / "cp.json")]) == 0
    out = capsys.readouterr().out
    assert "skipped by the filter" in out and "published 2 event(s)" in out, out
    inbox.wait({i: ({"ci"} if "repo" in k else set()) for k, i in ids.items()})
    for delivery_id in (ids["repo"], ids["repo-big"]):
        [event] = inbox.got["ci"][delivery_id]
        assert event["detail"]["replayed"] is True
        assert event["detail"]["match"] == {"repository": {"full_name": "acme/api"}}


def test_a_forged_delivery_is_found_by_ops_rejections_with_its_reason(
    pipeline: Pipeline, capsys
) -> None:
    started = time.time()
    forged = pipeline.delivery("github", forge=True)
    assert pipeline.post(forged).status == 401
    capsys.readouterr()

    def found() -> list[dict]:
        assert cli.main(["rejections", "--provider", "github", "--json"]) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        recent = [
            row
            for row in rows
            if row["status"] == 401
            and datetime.fromisoformat(row["time"]).timestamp() >= started - 1
        ]
        return recent

    [rejection, *_] = wait_for(found, "the forged delivery's 401 in `ops rejections`")
    assert rejection["provider"] == "github"
    assert rejection["reason"]  # why it was refused, as the receiver said
    assert forged.delivery_id not in json.dumps(rejection)  # nothing from the request itself
