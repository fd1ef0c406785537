"""Editing settings.json from a window without losing what the window does not know.

A person's settings.json may hold comment keys (``_note``), the ``$schema``
line, keys of a newer version, and its own indentation and key order. The
settings window changes only the values it shows: the file is read again
just before saving, only keys whose value changed are replaced (a setting
absent from the file is added only when it differs from its default), and
the result is written in the file's own style, atomically, with its mode.
Validation is the loader's own :func:`restic_monitor.config.settings.parse_settings`
on the document that would be written, so the window and the loader cannot
disagree on what is valid.
"""

from __future__ import annotations

import contextlib
import json
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restic_monitor.config.files import Problem, read_json_object
from restic_monitor.config.setting_specs import SETTINGS
from restic_monitor.config.settings import parse_settings

#: settings.json's mode when there is no file yet (write_profile's).
NEW_FILE_MODE = 0o644
_BOM = b"\xef\xbb\xbf"
_NAMES = frozenset(spec.name for spec in SETTINGS)


class ChangedOnDisk(Exception):
    """The file is no longer what the window read; saving now would overwrite an edit."""


@dataclass
class SettingsFile:
    """settings.json as read: its bytes (None: no file), its object (None: unreadable)."""

    path: Path
    raw: bytes | None
    data: dict[str, Any] | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def writable(self) -> bool:
        """A file that does not parse is not replaced: its content would be lost."""
        return self.data is not None or self.raw is None


def read_settings_file(path: Path) -> SettingsFile:
    try:
        raw: bytes | None = path.read_bytes()
    except FileNotFoundError:
        return SettingsFile(path, None, None)
    except OSError:
        raw = b""
    problems: list[Problem] = []
    data = read_json_object(path, problems, secret=False)
    return SettingsFile(path, raw, data, problems if data is None else [])


def current_values(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each setting's value in the file, or its default when the file leaves it out."""
    data = data or {}
    return {spec.name: data.get(spec.name, spec.default) for spec in SETTINGS}


def same_value(a: Any, b: Any) -> bool:
    """JSON equality: 300 is 300.0, but true is not 1."""
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        if isinstance(a, bool) or isinstance(b, bool):
            return a is b
        return a == b
    return type(a) is type(b) and a == b


def merged(data: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The file's object with the window's values: changed keys replaced in place,
    new ones added at the end only when they are not their default, the rest kept."""
    out = dict(data or {})
    defaults = {spec.name: spec.default for spec in SETTINGS}
    for name, value in values.items():
        if name in out:
            if not same_value(out[name], value):
                out[name] = value
        elif not same_value(defaults.get(name), value):
            out[name] = value
    return out


def validate(document: Mapping[str, Any], path: Path) -> list[Problem]:
    """Every problem the loader would report for this document (its own function)."""
    problems: list[Problem] = []
    parse_settings(document, path, problems)
    return problems


def blocking(problems: list[Problem]) -> list[Problem]:
    """The problems of the settings the window edits. Those of keys it does not show
    (an unknown key, a bad ``$schema``) were in the file before and are kept as they
    are: saving neither adds nor fixes them, so they do not stop it."""
    return [p for p in problems if p.key in _NAMES]


def render(document: Mapping[str, Any], like: bytes | None) -> bytes:
    """JSON in the style of ``like`` (the file being replaced): its indentation, its
    escaping of non-ASCII, its final newline, line endings and byte order mark."""
    text = (like or b"").decode("utf-8", errors="replace")
    indent: str | int | None = 4
    if like is not None:
        found = re.search(r"\n([ \t]+)\S", text)
        indent = found.group(1) if found else (None if text.strip() else 4)
    ascii_only = like is None or like.isascii()
    out = json.dumps(dict(document), indent=indent, ensure_ascii=ascii_only)
    if like is None or like.rstrip(b"\r\n") != like:
        out += "\n"
    if like is not None and b"\r\n" in like:
        out = out.replace("\n", "\r\n")
    data = out.encode("utf-8")
    return _BOM + data if like is not None and like.startswith(_BOM) else data


def edits(data: Mapping[str, Any] | None, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from the file's (or their default when it has none)."""
    before = current_values(data)
    return {k: v for k, v in values.items() if not same_value(before.get(k), v)}


def save(path: Path, opened: bytes | None, values: Mapping[str, Any], *, force: bool) -> bytes:
    """Write ``values`` (the edits) into the file as it is now; return the bytes written.

    Only the edits are written, so that saving anyway over a file edited
    meanwhile keeps that edit's other values.

    Raises :class:`ChangedOnDisk` when the file differs from ``opened`` (what
    the window read) unless ``force``, and ValueError when the file on disk
    cannot be parsed (its content would be lost) or the result is not valid.
    """
    from restic_monitor.state.files import atomic_write

    now = read_settings_file(path)
    if not force and now.raw != opened:
        raise ChangedOnDisk(str(path))
    if not now.writable:
        reasons = "; ".join(p.message for p in now.problems) or "cannot be read"
        raise ValueError(f"{path} {reasons} — fix it in an editor first")
    document = merged(now.data, values)
    problems = blocking(validate(document, path))
    if problems:
        raise ValueError("\n".join(str(p) for p in problems))
    data = render(document, now.raw)
    mode = NEW_FILE_MODE
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(path.stat().st_mode)
    atomic_write(path, data, mode=mode)
    return data
