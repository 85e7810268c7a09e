"""`Record`, the handlers' typed values: each is a flat slotted class whose fields make up its
equality, so a record that forgot its `__slots__` (or extends another record) cannot silently
compare equal to every other."""

import importlib
import pkgutil

import pytest

import webhooks
from webhooks import Record
from webhooks.delivery import Delivery
from webhooks.schemes import base


def _records() -> list[type[Record]]:
    for module in pkgutil.walk_packages(webhooks.__path__, "webhooks."):
        importlib.import_module(module.name)  # every scheme module too, not only the loaded ones
    found, pending = [], list(Record.__subclasses__())
    while pending:
        record = pending.pop()
        found.append(record)
        pending.extend(record.__subclasses__())
    return found


def test_every_record_is_flat_and_declares_its_fields() -> None:
    records = _records()
    assert len(records) >= 9  # settings x3, Provider, Request, Delivery, Envelope, two options
    for record in records:
        if not record.__module__.startswith("webhooks"):
            continue  # a test's own record
        assert record.__bases__[0] is Record, f"{record.__name__} extends another record"
        slots = record.__dict__.get("__slots__")
        assert slots, f"{record.__name__} declares no __slots__ of its own"
        assert "__dict__" not in record.__dict__, f"{record.__name__} instances have a __dict__"


def test_records_are_equal_by_type_and_fields() -> None:
    assert base.Tolerance(60) == base.Tolerance(60)
    assert base.Tolerance(60) != base.Tolerance(61)
    assert hash(base.Tolerance(60)) == hash(base.Tolerance(60))
    with pytest.raises(TypeError, match="unhashable"):  # as a tuple holding a dict
        hash(Delivery("id", "push", {"user-agent": "x"}))
    assert repr(base.Tolerance(60)) == "Tolerance(tolerance_seconds=60)"

    class Other(Record):
        __slots__ = ("tolerance_seconds",)

        def __init__(self, tolerance_seconds: int) -> None:
            self.tolerance_seconds = tolerance_seconds

    assert Other(60) != base.Tolerance(60)
