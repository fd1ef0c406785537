"""The status and history documents as typed objects: one definition, every front end.

``status --json``, the control channel, the tray and the text output all use
these classes; their JSON form is published as JSON Schemas in
``docs/schema/`` (checked against real output by the tests), so a renamed or
retyped key cannot slip through. Times are ISO 8601 strings with their UTC
offset, durations seconds, sizes bytes.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, Union

from restic_monitor.isotime import iso_or_none, to_iso

if TYPE_CHECKING:  # (not imported at run time: `status` through an instance stays light)
    from restic_monitor.restic.output import Progress
    from restic_monitor.state.history import RunRecord

T = TypeVar("T")


@dataclass(frozen=True)
class ProgressInfo:
    fraction: float | None
    percent: float | None
    files_done: int | None
    total_files: int | None
    bytes_done: int | None
    total_bytes: int | None
    seconds_elapsed: float | None
    eta_seconds: float | None
    current_files: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, progress: Progress) -> ProgressInfo:
        return cls(
            fraction=progress.fraction,
            percent=None if progress.fraction is None else round(progress.fraction * 100, 1),
            files_done=progress.files_done,
            total_files=progress.total_files,
            bytes_done=progress.bytes_done,
            total_bytes=progress.total_bytes,
            seconds_elapsed=progress.seconds_elapsed,
            eta_seconds=progress.eta_seconds,
            current_files=list(progress.current_files),
        )

    def progress(self) -> Progress:
        from restic_monitor.restic.output import Progress

        return Progress(
            fraction=self.fraction,
            files_done=self.files_done,
            total_files=self.total_files,
            bytes_done=self.bytes_done,
            total_bytes=self.total_bytes,
            seconds_elapsed=self.seconds_elapsed,
            eta_seconds=self.eta_seconds,
            current_files=tuple(self.current_files),
        )


@dataclass(frozen=True)
class RunInfo:
    """One job of the history (``last_run`` in status, a record of ``history --json``)."""

    id: int
    started: str
    ended: str | None
    trigger: str
    exit_code: int | None
    outcome: str | None
    reason: str | None
    message: str | None
    counted_success: bool
    snapshot_id: str | None
    files_new: int | None
    files_changed: int | None
    files_unmodified: int | None
    data_added: int | None
    duration: float | None
    kind: str
    profile: str
    #: forget: snapshots kept and removed; prune: bytes and packs freed; check: errors found.
    snapshots_kept: int | None = None
    snapshots_removed: int | None = None
    bytes_freed: int | None = None
    packs_removed: int | None = None
    errors_found: int | None = None
    #: copy: the snapshots copied into the mirror.
    snapshots_copied: int | None = None
    #: backup: the sources that did not exist (the snapshot lacks them); None when none.
    missing_sources: list[str] | None = None
    #: restore: the files and bytes written, and the folder they went into.
    files_restored: int | None = None
    bytes_restored: int | None = None
    restore_target: str | None = None

    @classmethod
    def of(cls, record: RunRecord) -> RunInfo:
        return cls(
            id=record.id,
            started=to_iso(record.started),
            ended=iso_or_none(record.ended),
            trigger=record.trigger,
            exit_code=record.exit_code,
            outcome=record.outcome,
            reason=record.reason,
            message=record.message,
            counted_success=record.counted_success,
            snapshot_id=record.snapshot_id,
            files_new=record.files_new,
            files_changed=record.files_changed,
            files_unmodified=record.files_unmodified,
            data_added=record.data_added,
            duration=record.duration,
            kind=record.kind,
            profile=record.profile,
            snapshots_kept=record.snapshots_kept,
            snapshots_removed=record.snapshots_removed,
            bytes_freed=record.bytes_freed,
            packs_removed=record.packs_removed,
            errors_found=record.errors_found,
            snapshots_copied=record.snapshots_copied,
            missing_sources=list(record.missing_sources) if record.missing_sources else None,
            files_restored=record.files_restored,
            bytes_restored=record.bytes_restored,
            restore_target=record.restore_target,
        )


@dataclass(frozen=True)
class CurrentRun:
    """The backup in progress (``current_run``)."""

    started: str
    trigger: str
    pid: int | None
    stopping: bool
    seconds_since_progress: float | None
    stalled: bool


@dataclass(frozen=True)
class MaintenanceKindStatus:
    """One kind of maintenance of a profile: its last run, and when it is next due."""

    last: RunInfo | None
    #: null: the kind is off for the profile (no retention policy, or an interval of 0).
    next_due: str | None


@dataclass(frozen=True)
class MaintenanceStatus:
    forget: MaintenanceKindStatus
    prune: MaintenanceKindStatus
    check: MaintenanceKindStatus
    #: Bringing the mirror (copy_to_profile) up to date.
    copy: MaintenanceKindStatus = MaintenanceKindStatus(last=None, next_due=None)

    @classmethod
    def none(cls) -> MaintenanceStatus:
        """Nothing run, nothing due (a profile without a configuration)."""
        off = MaintenanceKindStatus(last=None, next_due=None)
        return cls(forget=off, prune=off, check=off, copy=off)


@dataclass(frozen=True)
class MirrorStatus:
    """A profile's mirror: where its snapshots are copied, and whether it keeps up."""

    to: str
    last_success: str | None
    #: No successful copy for longer than no_backup_warning_seconds since a newer backup.
    behind: bool
    message: str | None


@dataclass(frozen=True)
class ProfileStatus:
    name: str
    running: bool
    progress: ProgressInfo | None
    current_run: CurrentRun | None
    queued: bool
    paused: bool
    paused_until: str | None
    last_success: str | None
    last_success_age_seconds: float | None
    last_success_snapshot: str | None
    last_run: RunInfo | None
    warning: bool
    warning_message: str | None
    next_backup_earliest: str | None
    reason: str | None
    reason_text: str | None
    consecutive_failures: int
    config_error: list[str] | None
    unlock_pending: bool
    pause_seconds: float | None
    #: After a stop: "activity" (waiting for the user to come back), "time" (an hour), or null.
    hold: str | None
    hold_until: str | None
    warnings: list[str]
    maintenance: MaintenanceStatus = field(default_factory=MaintenanceStatus.none)
    #: The last repository check found errors (red until a later check succeeds).
    check_errors: bool = False
    mirror: MirrorStatus | None = None


@dataclass(frozen=True)
class CurrentJob:
    kind: str
    profile: str
    started: str
    progress: ProgressInfo | None
    trigger: str
    pid: int | None
    stopping: bool
    stalled: bool
    seconds_since_progress: float | None


@dataclass(frozen=True)
class QueuedJob:
    kind: str
    profile: str
    trigger: str


@dataclass(frozen=True)
class Status:
    """``status --json``: the home, its primary profile's keys at the top, every profile."""

    version: str
    home: str
    instance_running: bool
    running: bool
    progress: ProgressInfo | None
    current_run: CurrentRun | None
    maintenance: str | None
    paused: bool
    paused_until: str | None
    last_success: str | None
    last_success_age_seconds: float | None
    last_success_snapshot: str | None
    last_run: RunInfo | None
    warning: bool
    warning_message: str | None
    next_backup_earliest: str | None
    reason: str | None
    reason_text: str | None
    consecutive_failures: int
    config_error: list[str] | None
    idle_seconds: float | None
    idle_source: str | None
    unlock_pending: bool
    pause_seconds: float | None
    warnings: list[str]
    profiles: list[ProfileStatus]
    current_job: CurrentJob | None
    queue: list[QueuedJob]

    def profile(self, name: str) -> ProfileStatus | None:
        return next((p for p in self.profiles if p.name == name), None)

    @property
    def any_config_error(self) -> bool:
        return any(p.config_error for p in self.profiles)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Status:
        return from_json(cls, data)


def to_json(document: Any) -> dict[str, Any]:
    out: dict[str, Any] = dataclasses.asdict(document)
    return out


def from_json(cls: type[T], data: Any) -> T:
    """A document back from its JSON form (keys it does not know are ignored)."""
    value: T = _convert(cls, data)
    return value


def _convert(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = typing.get_args(kind)
        return [_convert(item, v) for v in value]
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        hints = typing.get_type_hints(kind)
        known = {f.name for f in dataclasses.fields(kind)}
        return kind(**{k: _convert(hints[k], v) for k, v in value.items() if k in known})
    return value
