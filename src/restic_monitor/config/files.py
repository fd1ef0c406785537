"""Reading a configuration file: JSON objects, and problems that name file and key.

Validation collects *every* problem in one pass so that a user fixing a file
sees the whole list at once instead of one error per restart. Each problem
names the file, the key and what was expected. Values from env.json are
secrets: no message produced here ever contains one.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Problem:
    file: Path
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.key:
            where += f": {self.key}"
        return f"{where}: {self.message}"


class ConfigError(Exception):
    """The configuration cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {json.dumps(value)[:60]}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _init_command(folder: Path) -> str:
    """``init`` for the profile whose folder this is: the home's root, or profiles/NAME."""
    from restic_monitor.paths import Home

    if folder.parent.name == "profiles":
        return Home(folder.parent.parent).command(f"init --profile {folder.name}")
    return Home(folder).command("init")


def read_json_object(path: Path, problems: list[Problem], secret: bool) -> dict[str, Any] | None:
    """Read ``path`` as a JSON object, appending problems instead of raising."""

    def problem(msg: str, key: str | None = None) -> None:
        problems.append(Problem(path, key, msg))

    try:
        st = path.stat()
    except FileNotFoundError:
        problem(
            f"file not found. Create it in {path.parent} "
            f"(`{_init_command(path.parent)}` writes example files to start from)."
        )
        return None
    except OSError as exc:  # e.g. a home folder created by another user
        problem(f"cannot be read ({exc.strerror or exc.__class__.__name__}).")
        return None
    if stat.S_ISDIR(st.st_mode):
        problem("is a folder, expected a JSON file.")
        return None
    try:
        size = st.st_size
        if size > MAX_CONFIG_BYTES:
            problem(f"is {size} bytes; a configuration file is expected to be under 1 MiB.")
            return None
        raw = path.read_bytes()
    except OSError as exc:
        problem(f"cannot be read ({exc.strerror or exc.__class__.__name__}).")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem(
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8."
        )
        return None
    if not text.strip():
        problem("is empty; expected a JSON object such as {}.")
        return None

    duplicates: list[str] = []

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=pairs_hook)
    except json.JSONDecodeError as exc:
        # exc.msg never quotes the document, so no secret can leak through it.
        problem(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}.")
        return None
    except RecursionError:
        problem("is nested too deeply to be a configuration file.")
        return None
    except ValueError as exc:
        # e.g. an integer with thousands of digits; the message quotes no content.
        problem(f"cannot be read as JSON ({str(exc).split(':')[0]}).")
        return None
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        problem(f"expected a JSON object {{...}} at the top level, found {kind}.")
        return None
    for key in sorted(set(duplicates)):
        problem("appears more than once; keep only one.", key)
    return data
