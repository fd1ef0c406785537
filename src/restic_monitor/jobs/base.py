"""What every kind of job provides, and what the engine hands it.

A job is one restic run of one kind for one profile. The engine only queues
and runs jobs; a kind (one small module each) builds the run's command from
the profile and judges its result. Adding a kind means adding a module here
and registering it in :mod:`restic_monitor.jobs.kinds`, not a branch in the
engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from restic_monitor.config.profile import Config
from restic_monitor.config.settings import Settings
from restic_monitor.notify import Notice
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.command import Restic, ResticCommand, ResticUnavailable, find_restic
from restic_monitor.restic.outcomes import Outcome

if TYPE_CHECKING:
    from restic_monitor.jobs.hooks import BackupHooks
    from restic_monitor.restic.output import Progress
    from restic_monitor.restic.runner import RunResult


@dataclass(frozen=True)
class JobContext:
    """Everything a kind may use to plan its run."""

    profile: ProfileFiles
    config: Config
    trigger: str
    #: The restic version of an executable (cached by the engine).
    restic_version: Callable[[str], str | None]
    #: The monitor is quitting: runs that only tidy up should be short.
    shutting_down: bool = False
    #: Every other profile's secrets: masked in this run's output as well.
    also_mask: tuple[str, ...] = ()
    #: The mirror of a copy job (copy_to_profile): its folder and its configuration.
    peer: ProfileFiles | None = None
    peer_config: Config | None = None
    #: What the job was asked to do, for kinds that take details (a restore's items).
    request: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RunPlan:
    """One restic command and how to treat it: what the runner needs, nothing more."""

    command: ResticCommand
    log_path: Path | None = None
    json_progress: bool = False
    low_priority: bool = False
    header: str | None = None
    #: Stop the run gracefully after this many seconds (None: no limit).
    timeout: float | None = None
    prevent_sleep: bool = False
    restic_version: str | None = None
    #: restic processes a crashed monitor left behind: (pid, start time), stopped first.
    orphans: tuple[tuple[int, float | None], ...] = ()
    #: Regular expressions: the output lines the kind judges the run by (``collected``).
    collect: tuple[str, ...] = ()
    #: Work after restic has ended, in the run's thread (a restore moved into place):
    #: what it returns is the result's ``finished``, for the kind's judgement.
    finish: Callable[[RunResult], dict[str, Any]] | None = None
    #: Progress where restic prints none (restic 0.14's restore), asked every few seconds.
    probe: Callable[[], Progress | None] | None = None
    #: The user's commands around the run (a backup's hooks), run in the run's thread.
    hooks: BackupHooks | None = None


#: What a finished job leaves for the repository's locks.
LOCKS_CLEAN = "clean"
LOCKS_UNLOCK_NOW = "unlock_now"
LOCKS_UNLOCK_LATER = "unlock_later"


@dataclass(frozen=True)
class Verdict:
    """A finished job judged: what goes into the history, the marker and the notices."""

    outcome: Outcome
    reason: str  # machine-readable: ok, incomplete, wrong_password, ...
    message: str  # one sentence for status and notices
    counted_success: bool = False
    #: Extra history fields (snapshot, files, bytes).
    fields: dict[str, Any] = field(default_factory=dict)
    #: Whether stale locks may be left and when to clear them.
    locks: str = LOCKS_CLEAN


@dataclass(frozen=True)
class Refusal:
    """Why a job asked for cannot be queued for the profile at all."""

    message: str
    #: Nothing to act on (no retention policy): said, not an error.
    nothing_to_do: bool = False


class CannotRun(Exception):
    """The job cannot start at all (restic missing); its verdict is recorded as is."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


class JobKind(Protocol):
    #: The kind's name in history, status and on the command line.
    name: str
    #: Whether its outcome is a backup of the profile (marker, warning, backoff).
    is_backup: bool
    #: Whether stale locks left by an earlier run are cleared (restic unlock) before it.
    needs_clean_locks: bool

    def plan(self, context: JobContext) -> RunPlan: ...

    def refusal(self, profile: ProfileFiles, settings: Settings) -> Refusal | None:
        """Why it cannot be asked for now (checked before it is queued), or None."""
        ...

    def judge(self, result: RunResult, settings: Settings) -> Verdict: ...

    def notice(self, verdict: Verdict, result: RunResult, settings: Settings) -> Notice | None: ...


def restic_for(context: JobContext) -> Restic:
    """The profile's restic, or :class:`CannotRun` saying why it cannot be run (not
    found, or not a program: a folder, a file that is not executable, text)."""
    try:
        exe = find_restic(context.config.settings.restic_exe)
    except ResticUnavailable as exc:
        raise CannotRun(Verdict(Outcome.ERROR, exc.reason, exc.message)) from None
    return Restic(exe, context.config.env, also_mask=context.also_mask)


def failed_to_start(result: RunResult) -> Verdict | None:
    """The verdict for a run that never got restic going, whatever the kind."""
    if result.internal_error:
        message = "The job failed inside restic-monitor; see restic-monitor.log."
        return Verdict(Outcome.ERROR, "internal_error", message)
    if result.start_error:
        return Verdict(Outcome.ERROR, "cannot_start", result.start_error)
    if result.skipped:
        message = f"The backup did not run: {result.skipped}."
        return Verdict(Outcome.FAILED, "before_hook_failed", message)
    return None
