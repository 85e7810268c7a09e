"""The processor-writes bench runs the real record step: every record of its batch is stored."""

from bench import writes


def test_every_record_is_stored_sequentially_and_concurrently():
    records = writes._records(20)
    for writers in (1, 8):
        stored, seconds = writes._run(records, 0.001, writers, None)
        assert stored == len(records), writers
        assert seconds > 0
