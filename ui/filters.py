"""The filter controls' values (speakers, transcripts, dates), checked and made into Filters."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence

from qa.errors import InputError
from qa.models import Filters

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str | None, name: str) -> str | None:
    """An ISO date (YYYY-MM-DD) from a filter box, None when empty; InputError otherwise."""
    value = (text or "").strip()
    if not value:
        return None
    if not _ISO_DATE.match(value):
        raise InputError(f"{name} must be a date like 2021-06-30, got {value!r}")
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name} is not a real date: {value!r}") from None
    return value


def make_filters(
    speakers: Sequence[str] | None,
    transcripts: Sequence[str] | None,
    since: str | None,
    until: str | None,
) -> Filters:
    """Filters from the UI's controls, with the dates validated."""
    first = parse_date(since, "Since")
    last = parse_date(until, "Until")
    if first and last and first > last:
        raise InputError(f"Since ({first}) is after Until ({last})")
    return Filters(
        speakers=tuple(s for s in speakers or () if s),
        transcripts=tuple(t for t in transcripts or () if t),
        since=first,
        until=last,
    )
