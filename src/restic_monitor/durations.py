"""Durations as people write them: ``90s``, ``15m``, ``8h``, ``2d``, ``1h30m``."""

from __future__ import annotations

import re


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
        if value <= 0:
            raise ValueError(f"duration {text!r} must be more than 0")
        return value
    units = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+(?:\.\d+)?)(min|s|m|h|d)", cleaned)
    if not parts or "".join(n + u for n, u in parts) != cleaned:
        raise ValueError(f"cannot read duration {text!r}; use e.g. 90s, 15m, 8h, 2d or 1h30m")
    total = sum(float(n) * units[u] for n, u in parts)
    if total <= 0:
        raise ValueError(f"duration {text!r} must be more than 0")
    return total
