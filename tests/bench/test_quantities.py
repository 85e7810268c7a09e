"""The cost step's measurements run the real handlers on the success path, claim check included."""

import os
from unittest import mock

from bench import handlers


def test_an_archived_body_is_checked_and_stored_by_both_process_paths() -> None:
    """Above the inline limit the processor reads the archived body back; the fakes must answer
    that read for the in-memory and the botocore clients alike, or every record fails."""
    with mock.patch.dict(os.environ):  # loading the handlers sets their environment
        pipeline = handlers.Pipeline()
        measured = handlers.quantities(pipeline, 100 * 1024, 1)
    assert measured["archived"] and measured["payload_bytes"] == 0
    assert measured["item_bytes"] > 0
