"""`--since`/`--until`: ISO-8601 text in, an instant out, compared as instants.

Stored events carry `received_at` as `format_received_at` writes it: UTC, fixed width, with
milliseconds and `Z`. A parsed instant written the same way compares as text exactly as the
instants compare, so DynamoDB key conditions on `received_at` select by time, not by spelling.
"""

import re
from datetime import UTC, datetime, timedelta

from ops.errors import OpsError
from webhooks.envelope import format_received_at

# A date, or a date and time (`T` or one space between), to the minute or finer, with an
# optional offset (`Z`, `+01:00`, `+0100`); nothing else (no epoch numbers, no words).
_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
FORMS = "an ISO-8601 date or date-time, e.g. 2026-12-06, 2026-12-06T03:06 or 2026-12-06T03:06+01:00"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HELP = "ISO-8601 date or date-time; no offset means UTC; a date alone is its midnight"


def parse_instant(text: str, flag: str) -> datetime:
    """The instant `text` names, in UTC; anything else is an error naming the flag and the forms."""
    if not _ISO.fullmatch(text.strip()):
        raise OpsError(f"{flag} {text!r} is not {FORMS}")
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise OpsError(f"{flag} {text!r} is not a valid date-time ({error})") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def stored_form(instant: datetime) -> str:
    """The instant as `received_at` is stored (so text order is time order)."""
    return format_received_at((instant - EPOCH) // timedelta(milliseconds=1))


def window(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    """`--since`/`--until` as stored-form bounds; `--until` before `--since` is an error."""
    start = parse_instant(since, "--since") if since is not None else None
    end = parse_instant(until, "--until") if until is not None else None
    if start is not None and end is not None and end < start:
        raise OpsError(
            f"--until {until!r} ({stored_form(end)}) is before --since {since!r}"
            f" ({stored_form(start)}): nothing can be selected"
        )
    return (
        stored_form(start) if start is not None else None,
        stored_form(end) if end is not None else None,
    )
