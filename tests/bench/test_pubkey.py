"""bench/pubkey.py: every public-key sender is timed on a request ours accepts, against its
official verifier where one exists, and the report prints the section."""

from bench import pubkey, report
from ops.pubkey_signing import SCHEMES


def test_every_sender_is_timed_with_its_official_verifier_where_one_exists() -> None:
    rows = pubkey.run(1)
    assert [row["scheme"] for row in rows] == list(SCHEMES)
    with_official = {row["scheme"] for row in rows if row.get("official_ns")}
    assert with_official == {"discord", "telnyx", "sendgrid", "google-pubsub"}
    lines = report._pubkey(
        {
            "verification": rows,
            "import_ms": {"github": {"median": 5.0}, "discord": {"median": 9.0}},
            "package": pubkey.package_size(),
        }
    )
    assert any(line.startswith("| plaid | ") for line in lines)
    assert any("MB zipped" in line for line in lines)


def test_the_bench_fetches_from_the_senders_real_hosts_in_memory() -> None:
    """No `keyOrigin`: the allow-list of each scheme is on the measured path."""
    from ops.pubkey_signing import SenderKeys

    keys = SenderKeys.generate()
    for scheme in ("aws-sns", "google-pubsub", "plaid"):
        assert pubkey._provider(scheme, keys).values["key_origin"] is None
