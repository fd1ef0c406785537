"""Durations as people write them: ``90s``, ``15m``, ``8h``, ``2d``, ``1h30m``."""

from __future__ import annotations

import math
import re

#: Longer than any sensible pause, and far inside what dates can hold.
MAX_DURATION = 10 * 365 * 86400.0


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``8h``, ``2d``, ``1h30m`` -> seconds."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise ValueError("empty duration")
    try:
        value = float(cleaned)
    except ValueError:
        pass
    else:
        return _checked(value, text)
    units = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+(?:\.\d+)?)(min|s|m|h|d)", cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise ValueError(f"cannot read duration {text!r}; use e.g. 90s, 15m, 8h, 2d or 1h30m")
    return _checked(sum(float(n) * units[u] for n, u in parts), text)


def _checked(value: float, text: str) -> float:
    if math.isnan(value) or value <= 0:
        raise ValueError(f"duration {text!r} must be more than 0")
    if value > MAX_DURATION:
        raise ValueError(f"duration {text!r} is too long; at most 10 years (3650d)")
    return value


def format_duration(seconds: float) -> str:
    """Seconds in the words :func:`parse_duration` reads back: ``300`` -> ``5m``,
    ``5400`` -> ``1h30m``, ``0`` -> ``0``; a fraction of a second stays a number."""
    if not math.isfinite(seconds) or seconds != int(seconds):
        return str(seconds)
    rest = int(seconds)
    if rest <= 0:
        return str(rest)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
