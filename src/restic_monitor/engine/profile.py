"""One profile as the engine holds it: configuration, state files, recent runs, hold.

Each profile has its own repository, schedule, warning, pause, backoff and
history; an invalid configuration puts only that profile in an error state.
Everything here is touched by the engine's thread only.
"""

from __future__ import annotations

import contextlib
import logging

from restic_monitor.config.files import ConfigError
from restic_monitor.config.profile import (
    Config,
    config_signature,
    env_permission_warnings,
    load_config,
)
from restic_monitor.config.settings import Settings
from restic_monitor.engine.hold import Hold
from restic_monitor.jobs.kinds import MAINTENANCE
from restic_monitor.paths import ProfileFiles
from restic_monitor.policy.backup import Decision, Facts
from restic_monitor.policy.maintenance import Due, KindFacts
from restic_monitor.policy.memory import FutureAnchor
from restic_monitor.state import files as state_files
from restic_monitor.state.files import EngineState
from restic_monitor.state.history import (
    BACKUP,
    History,
    HistoryUnavailable,
    RunRecord,
    consecutive_failures,
    last_finished,
)

log = logging.getLogger(__name__)

RECENT_RUNS = 25
RECENT_MAINTENANCE = 10
#: The warning threshold shown while a profile's configuration is invalid.
FALLBACK_SETTINGS = Settings(args=("backup",))


class ProfileRuntime:
    def __init__(self, name: str, paths: ProfileFiles, history: History) -> None:
        self.name = name
        self.paths = paths
        self.history = history
        self.config: Config | None = None
        self.problems: list[str] = []
        self.signature: tuple[object, ...] = ()
        self.paused_until: float | None = None
        self.last_success: float | None = None
        self.state = EngineState()
        #: This profile's recent backups, newest first.
        self.records: list[RunRecord] = []
        #: Its recent maintenance runs, per kind, newest first.
        self.kind_records: dict[str, list[RunRecord]] = {}
        #: What each maintenance kind's last look said (status shows when it is next due).
        self.due: dict[str, Due] = {}
        #: The facts of the last decision (maintenance is decided from them too).
        self.facts_seen: Facts | None = None
        #: Copies of this session's runs, for when the database cannot take them.
        self.session_runs: dict[int, RunRecord] = {}
        self._offline_ids = 0
        self.hold: Hold | None = None
        self.decision: Decision | None = None
        self.anchor = FutureAnchor()
        self.notified_problems: tuple[str, ...] = ()
        #: The failure reason last notified per job kind, in this process: an automatic
        #: run failing the same way is not notified again, unless nothing was yet.
        self.notified_failures: dict[str, str] = {}
        self.env_warnings: list[str] = []
        self.log_problem: str | None = None

    @property
    def settings(self) -> Settings | None:
        return self.config.settings if self.config is not None else None

    # --- files --------------------------------------------------------------

    def load_state(self) -> None:
        self.paused_until = state_files.read_pause(self.paths)
        self.state = state_files.read_engine_state(self.paths)
        self.last_success = state_files.read_last_success(self.paths)
        for kind in (BACKUP, *MAINTENANCE):
            self.refresh_records(kind)

    def load_config(self) -> list[str]:
        """Read settings.json and env.json; the problems (empty when valid)."""
        self.signature = config_signature(self.paths)
        try:
            config = load_config(self.paths)
        except ConfigError as exc:
            self.config = None
            self.problems = [str(p) for p in exc.problems]
            return self.problems
        self.config = config
        self.problems = []
        self.notified_problems = ()
        self.env_warnings = env_permission_warnings(self.paths)
        for warning in self.env_warnings:
            log.warning(warning)
        return []

    def config_changed(self) -> bool:
        return config_signature(self.paths) != self.signature

    def save_state(self) -> None:
        try:
            state_files.write_engine_state(self.paths, self.state)
        except OSError as exc:
            log.error("cannot write %s: %s", self.paths.state_json, exc.strerror)

    def set_hold(self, hold: Hold | None, now: float, mono: float) -> None:
        """Hold (or release) automatic backups after a stop; kept across restarts."""
        self.hold = hold
        stopped = None if hold is None else now - (mono - hold.stopped_at)
        waits = hold is not None and hold.for_activity
        if (self.state.stopped_at, self.state.stop_waits_for_activity) != (stopped, waits):
            self.state.stopped_at, self.state.stop_waits_for_activity = stopped, waits
            self.save_state()

    def restore_hold(self, now: float, mono: float) -> None:
        """The hold a previous monitor left (its stop is still to be respected)."""
        stopped = self.state.stopped_at
        if stopped is None:
            return
        self.hold = Hold(
            stopped_at=mono - max(0.0, now - stopped),
            for_activity=self.state.stop_waits_for_activity,
            ref_idle=None,  # the first look takes the reference reading
            ref_mono=mono,
        )

    def set_unlock_needed(self, value: bool) -> None:
        if self.state.unlock_needed != value:
            self.state.unlock_needed = value
            self.save_state()

    # --- history --------------------------------------------------------------

    def refresh_records(self, kind: str = BACKUP) -> None:
        """Re-read this profile's recent runs of ``kind`` (backups: ``records``)."""
        limit = RECENT_RUNS if kind == BACKUP else RECENT_MAINTENANCE
        stored = self.history.recent(limit, kind=kind, profile=self.name)
        known = {r.id for r in stored}
        # Runs the database could not take (busy, disk full) still count for
        # spacing, backoff and status: merge this session's copies back in.
        extra = [r for r in self.session_runs.values() if r.id not in known and r.kind == kind]
        records = sorted([*stored, *extra], key=lambda r: r.started, reverse=True)[:limit]
        if kind == BACKUP:
            self.records = records
        else:
            self.kind_records[kind] = records

    def kind_facts(self, kind: str, busy: bool) -> KindFacts:
        records = self.kind_records.get(kind, [])
        finished = last_finished(records)
        return KindFacts(
            last_started=records[0].started if records else None,
            last_ended=finished.ended if finished else None,
            failures=consecutive_failures(records),
            busy=busy,
            since=self.last_success,
        )

    def history_start(self, started: float, trigger: str, kind: str) -> int:
        try:
            run_id = self.history.start(started, trigger, kind, self.name)
        except HistoryUnavailable:
            self._offline_ids -= 1  # never reused: each run keeps its own copy
            run_id = self._offline_ids
        self.session_runs[run_id] = RunRecord(
            id=run_id, started=started, ended=None, trigger=trigger, kind=kind, profile=self.name
        )
        while len(self.session_runs) > RECENT_RUNS:
            self.session_runs.pop(next(iter(self.session_runs)))
        return run_id

    def history_update(self, run_id: int, **fields: object) -> None:
        record = self.session_runs.get(run_id)
        if record is not None:
            for key, value in fields.items():
                setattr(record, key, value)
        if run_id > 0:
            with contextlib.suppress(HistoryUnavailable):  # logged by History
                self.history.update(run_id, **fields)

    def history_forget(self, run_id: int) -> None:
        self.session_runs.pop(run_id, None)
        if run_id > 0:
            with contextlib.suppress(HistoryUnavailable):
                self.history.delete(run_id)

    def record(self, run_id: int) -> RunRecord | None:
        """The history's copy of a run, or this session's when the database has none."""
        for record in (*self.records, *(r for rs in self.kind_records.values() for r in rs)):
            if record.id == run_id:
                return record
        return self.session_runs.get(run_id)

    # --- decisions --------------------------------------------------------------

    def facts(
        self,
        *,
        now: float,
        mono: float,
        idle: float | None,
        running: bool,
        queued: bool,
        idle_grows: bool,
        idle_reports_activity: bool,
        on_battery: bool,
        needs_elevation: bool,
        metered: bool = False,
    ) -> Facts:
        records = self.records
        latest = records[0] if records else None
        finished = last_finished(records)
        hold = self.hold
        facts = Facts(
            now=now,
            idle=idle,
            running=running,
            queued=queued,
            config_ok=self.config is not None,
            paused_until=self.paused_until,
            last_started=latest.started if latest else None,
            last_ended=finished.ended if finished else None,
            last_success=self.last_success,
            failures=consecutive_failures(records),
            hold=hold is not None and hold.for_activity,
            stopped_at=now - (mono - hold.stopped_at) if hold is not None else None,
            last_warning_notice=self.state.last_warning_notice,
            idle_grows=idle_grows,
            idle_reports_activity=idle_reports_activity,
            on_battery=on_battery,
            needs_elevation=needs_elevation,
            metered=metered,
        )
        return self.anchor.facts(facts)
