"""What a restic run's exit code and last words mean.

restic's exit codes became more specific over time (3 in 0.10, 10/11 in
0.17, 12 in 0.17.1); older versions such as Debian 12's 0.14 report those
cases as exit code 1 with a message, so the classification looks at both.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class Outcome(str, enum.Enum):
    SUCCESS = "success"
    INCOMPLETE = "incomplete"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    ERROR = "error"


@dataclass(frozen=True)
class Classification:
    outcome: Outcome
    reason: str  # machine-readable: ok, incomplete, wrong_password, ...
    message: str  # one sentence for status and notices


_REASON_TEXT = {
    "ok": "Backup completed.",
    "incomplete": "Snapshot created, but some files could not be read (exit code 3).",
    "missing_source": "A backup folder does not exist (check args in settings.json, or "
    "connect its drive).",
    "wrong_password": "Wrong repository password (check RESTIC_PASSWORD in env.json).",
    "repository_missing": "No repository at the configured location (check RESTIC_REPOSITORY "
    "in env.json, or create one with `restic-monitor restic init`).",
    "locked": "The repository is locked by another restic process.",
    "repository_unreachable": "The repository cannot be reached (network or server down; "
    "check RESTIC_REPOSITORY and your connection).",
    "interrupted": "The backup was interrupted.",
    "fatal": "restic stopped with an error.",
}


def reason_text(reason: str) -> str:
    return _REASON_TEXT.get(reason, reason)


#: At most this many missing sources are named in a message (all of them are in the history).
NAMED_SOURCES = 5


def missing_source_message(paths: Sequence[str], *, snapshot: bool, unreadable: bool) -> str:
    """One sentence naming the backup sources that do not exist."""
    shown = ", ".join(paths[:NAMED_SOURCES])
    if len(paths) > NAMED_SOURCES:
        shown += f" and {len(paths) - NAMED_SOURCES} more"
    hint = "a typo in args in settings.json, or a drive that is not connected?"
    if not snapshot:
        named = f"{shown}; " if shown else ""
        return f"No backup: none of the backup folders exists ({named}{hint})."
    if len(paths) == 1:
        text = f"Backup folder missing: {shown} does not exist, so the snapshot lacks it ({hint})."
    else:
        text = (
            f"{len(paths)} backup folders missing: {shown} do not exist, so the snapshot lacks "
            f"them ({hint})."
        )
    if unreadable:
        text += " Some files could not be read as well."
    return text


def classify(
    exit_code: int | None,
    output_tail: Iterable[str] = (),
    stop_requested: bool = False,
) -> Classification:
    """Map restic's exit code (and, for old versions, its last words) to an outcome."""
    tail = list(output_tail)
    if exit_code == 0:
        return Classification(Outcome.SUCCESS, "ok", reason_text("ok"))
    if exit_code == 3:
        return Classification(Outcome.INCOMPLETE, "incomplete", reason_text("incomplete"))
    if stop_requested or exit_code == 130:
        return Classification(Outcome.INTERRUPTED, "interrupted", reason_text("interrupted"))
    by_code = {10: "repository_missing", 11: "locked", 12: "wrong_password"}
    if exit_code in by_code:
        reason = by_code[exit_code]
        return Classification(Outcome.FAILED, reason, reason_text(reason))
    recognised = reason_from_messages(tail)
    if recognised:
        return Classification(Outcome.FAILED, recognised, reason_text(recognised))
    fatal = last_fatal_line(tail)
    if exit_code is not None and exit_code < 0:
        return Classification(
            Outcome.FAILED, "killed", f"restic was killed by signal {-exit_code}."
        )
    if fatal:
        return Classification(Outcome.FAILED, "fatal", fatal)
    return Classification(Outcome.FAILED, "exit_code", f"restic exited with code {exit_code}.")


def reason_from_messages(lines: Sequence[str]) -> str | None:
    """Recognise the messages restic 0.14-0.17 print for the common fatal cases."""
    text = "\n".join(lines).lower()
    if "wrong password" in text or "no key found" in text:
        return "wrong_password"
    if "repository is already locked" in text or "unable to create lock" in text:
        return "locked"
    if any(marker in text for marker in _UNREACHABLE):
        return "repository_unreachable"
    if (
        "is there a repository at the following location" in text
        or "unable to open config file" in text
        or "repository does not exist" in text
    ):
        return "repository_missing"
    return None


#: What Go's network stack says when a remote repository cannot be reached.
_UNREACHABLE = (
    "connection refused",
    "no such host",
    "i/o timeout",
    "network is unreachable",
    "connection reset by peer",
    "tls handshake timeout",
    "context deadline exceeded",
    "server misbehaving",
    "no route to host",
)


def last_fatal_line(lines: Sequence[str]) -> str | None:
    for line in reversed(lines):
        stripped = line.strip()
        if stripped.lower().startswith("fatal:"):
            return stripped[:300]
    return None
