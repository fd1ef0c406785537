"""Times as people and files read them: ISO 8601 with the local UTC offset."""

from __future__ import annotations

from datetime import datetime


def to_iso(epoch: float) -> str:
    """Local time with its UTC offset, to the second: readable and unambiguous."""
    return datetime.fromtimestamp(epoch).astimezone().isoformat(timespec="seconds")


def parse_iso(text: str) -> float:
    """Parse ISO 8601; a missing offset means local time, ``Z`` means UTC."""
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.astimezone()  # interpret as local time
    return dt.timestamp()


def local_minute(text: str) -> str | None:
    """An ISO time (restic's, say) as a person reads it here: local, to the minute; None
    when it is no time at all."""
    try:
        return datetime.fromtimestamp(parse_iso(text)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return None


def iso_or_none(epoch: float | None) -> str | None:
    return None if epoch is None else to_iso(epoch)
