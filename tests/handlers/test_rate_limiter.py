"""The rate limiter's claims against moto's DynamoDB (its conditional writes made atomic, as
DynamoDB's are, by tests/handlers/conftest.py): a batch's slots in one write, consecutive and
1/rate apart; none beyond the horizon; a wrong guess of busy or idle costs one more write; and
concurrent claims by many containers never hand out two slots nearer than 1/rate."""

import itertools
import random
import threading
import time
from typing import Any

import boto3
import pytest

from webhooks.destination import NoStart, RateLimiter


class Counted:
    """The state table, counting the writes sent to the `limit` item (a failed condition is
    billed as one)."""

    def __init__(self, dynamodb: Any) -> None:
        self._dynamodb = dynamodb
        self.writes = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dynamodb, name)

    def update_item(self, **request: Any) -> Any:
        with self._lock:
            self.writes += request["Key"]["pk"]["S"] == "limit"
        return self._dynamodb.update_item(**request)


@pytest.fixture
def table(aws: None) -> tuple[Counted, str]:
    dynamodb = boto3.client("dynamodb")
    dynamodb.create_table(
        TableName="state-limits",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    )
    return Counted(dynamodb), "state-limits"


NOW = 1_000_000.0


def test_a_batch_claims_consecutive_slots_with_one_write(table: tuple[Counted, str]) -> None:
    counted, name = table
    limiter = RateLimiter(counted, name, rate=4)
    assert limiter.slots(NOW, 4) == [NOW, NOW + 0.25, NOW + 0.5, NOW + 0.75]  # idle: SET
    assert counted.writes == 1
    assert limiter.slots(NOW, 3) == [NOW + 1, NOW + 1.25, NOW + 1.5]  # busy: ADD
    assert counted.writes == 2
    assert limiter.slot(NOW) == NOW + 1.75  # a request on its own: a batch of one
    assert counted.writes == 3


def test_only_the_slots_within_the_horizon_are_claimed(table: tuple[Counted, str]) -> None:
    counted, name = table
    limiter = RateLimiter(counted, name, rate=1, horizon=2.0)
    assert limiter.slots(NOW, 5) == [NOW, NOW + 1, NOW + 2]  # three fit: the rest get none
    assert counted.writes == 1
    assert limiter.refusal(NOW).wait == pytest.approx(3)  # the others are back then
    # The next free start is beyond the horizon: none claimed, and no write sent (`tat` never
    # goes back, so the one this container saw last already says so).
    assert limiter.slots(NOW, 2) == []
    with pytest.raises(NoStart) as refused:
        limiter.slot(NOW)
    assert refused.value.wait == pytest.approx(3)
    assert counted.writes == 1
    assert limiter.slots(NOW + 1, 2) == [NOW + 3]  # nothing was claimed by the refusals
    assert counted.writes == 2


def test_a_wrong_guess_costs_one_more_write(table: tuple[Counted, str]) -> None:
    counted, name = table
    first = RateLimiter(counted, name, rate=1, horizon=3.0)
    assert first.slots(NOW, 2) == [NOW, NOW + 1]
    other = RateLimiter(counted, name, rate=1, horizon=3.0)  # another container, guessing idle
    assert other.slots(NOW + 0.5, 3) == [NOW + 2, NOW + 3]  # its SET fails; the ADD fits two
    assert counted.writes == 3
    # `first` last saw `tat` at NOW + 2: its ADD for two slots fails its horizon condition (the
    # item is at NOW + 4), and the claim the item allows follows: one slot.
    assert first.slots(NOW + 1.5, 2) == [NOW + 4]
    assert counted.writes == 5
    assert other.slots(NOW + 60, 3) == [NOW + 60, NOW + 61, NOW + 62]  # idle again: one SET
    assert counted.writes == 6


def test_concurrent_batch_claims_never_overlap(table: tuple[Counted, str]) -> None:
    """Containers claiming batches at once, at a rate that keeps the item contended and a
    horizon that cuts claims short: every slot handed out is its own, 1/rate from the next,
    and none is beyond its claim's horizon."""
    counted, name = table
    rate, horizon = 1000, 0.05
    claims: list[tuple[float, list[float]]] = []
    lock = threading.Lock()

    deadline = time.time() + 0.5  # some 500 slots' worth: the horizon cuts most claims short

    def container(seed: int) -> None:
        draw = random.Random(seed)
        limiter = RateLimiter(counted, name, rate=rate, horizon=horizon)
        while (now := time.time()) < deadline:
            try:
                slots = limiter.slots(now, draw.randint(1, 10))
            except NoStart:  # contended three times in a row: nothing claimed
                continue
            with lock:
                claims.append((now, slots))

    threads = [threading.Thread(target=container, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slots = sorted(itertools.chain.from_iterable(s for _, s in claims))
    assert len(slots) > 200
    assert min(b - a for a, b in itertools.pairwise(slots)) >= 1 / rate - 0.000_002
    for now, claimed in claims:
        assert all(now - 0.000_001 <= s <= now + horizon + 0.000_001 for s in claimed)
        gaps = [b - a for a, b in itertools.pairwise(claimed)]
        assert all(gap == pytest.approx(1 / rate, abs=1e-6) for gap in gaps)  # consecutive
    assert counted.writes < sum(len(s) for _, s in claims)  # batches: fewer writes than slots
