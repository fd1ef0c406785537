"""The backup job: the profile's ``args`` run as restic, judged as a backup.

A backup counts as a success on exit code 0, or on 3 when the user said so
(``ignore_exit_code_3``); only a counted success moves the marker. A run that
ended any other way after restic had started may leave a stale lock behind.

A backup source that does not exist never counts: restic skips it with a line
of its own (exit code 0 up to 0.18, 3 from 0.19), so a typo or an unplugged
drive would otherwise give "successful" backups without that folder, forever.
Such a run is ``incomplete`` with reason ``missing_source`` whatever
``ignore_exit_code_3`` says, which covers unreadable files only.
"""

from __future__ import annotations

from typing import Any

from restic_monitor.config.settings import Settings
from restic_monitor.jobs.base import (
    LOCKS_CLEAN,
    LOCKS_UNLOCK_LATER,
    LOCKS_UNLOCK_NOW,
    JobContext,
    Refusal,
    RunPlan,
    Verdict,
    failed_to_start,
    restic_for,
)
from restic_monitor.jobs.hooks import BackupHooks
from restic_monitor.notify import Notice
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.command import Restic, speaks_json
from restic_monitor.restic.outcomes import (
    Classification,
    Outcome,
    classify,
    missing_source_message,
)
from restic_monitor.restic.output import (
    MISSING_SOURCE,
    all_sources_missing,
    missing_sources,
    unreadable_files,
)
from restic_monitor.restic.runner import RunResult

#: Failures in which restic never held a lock of its own: an unlock would find nothing
#: (and, with a wrong password, fail the same way a second time).
NEVER_LOCKED = frozenset({"wrong_password", "repository_missing", "locked", "missing_source"})

#: Triggers of automatic runs, as history and status record them.
IDLE = "idle"
OVERDUE = "overdue"
MANUAL = "manual"


class BackupKind:
    name = "backup"
    is_backup = True
    needs_clean_locks = True

    def refusal(self, profile: ProfileFiles, settings: Settings) -> Refusal | None:
        from restic_monitor.platform.power import needs_elevation

        if needs_elevation(settings.args):
            from restic_monitor.policy.backup import Reason

            return Refusal(Reason.NEEDS_ELEVATION.describe())
        return None

    def plan(self, context: JobContext) -> RunPlan:
        settings = context.config.settings
        restic = restic_for(context)
        header = f"trigger: {context.trigger}"
        if context.profile.name != "default":
            header += f", profile: {context.profile.name}"
        return RunPlan(
            command=restic.backup(settings.args, settings.progress),
            log_path=context.profile.last_log,
            json_progress=speaks_json(settings.args, settings.progress),
            # A backup that starts while the user works must never slow the work down.
            low_priority=settings.low_priority or context.trigger == OVERDUE,
            header=header,
            prevent_sleep=settings.prevent_sleep,
            restic_version=context.restic_version(restic.exe),
            collect=(MISSING_SOURCE,),
            hooks=self._hooks(context, restic),
        )

    def _hooks(self, context: JobContext, restic: Restic) -> BackupHooks | None:
        settings = context.config.settings
        if not (settings.before_backup_command or settings.after_backup_command
                or settings.on_success_command or settings.on_failure_command):  # fmt: skip
            return None

        def outcome(result: RunResult) -> tuple[str, str, str | None]:
            verdict = self.judge(result, settings)
            word = "success" if verdict.counted_success else verdict.outcome.value
            word = "failed" if word == "error" else word
            message = "" if verdict.counted_success else verdict.message
            return word, message, verdict.fields.get("snapshot_id")

        return BackupHooks(
            profile=context.profile.name,
            kind=self.name,
            before=settings.before_backup_command,
            after=settings.after_backup_command,
            on_success=settings.on_success_command,
            on_failure=settings.on_failure_command,
            timeout=settings.hook_timeout_seconds,
            skip_on_failure=settings.before_backup_failure == "skip",
            log_path=context.profile.last_log,
            restic_names=tuple(context.config.env),
            redactor=restic.redactor,
            judge=outcome,
        )

    def judge(self, result: RunResult, settings: Settings) -> Verdict:
        early = failed_to_start(result)
        if early is not None:
            return early
        cls = classify(result.exit_code, result.tail, result.stop_requested)
        missing = missing_sources(result.collected)
        cls = _missing_source(cls, missing, result.tail)
        counted = cls.outcome is Outcome.SUCCESS or (
            cls.outcome is Outcome.INCOMPLETE
            and cls.reason == "incomplete"
            and settings.ignore_exit_code_3
        )
        fields: dict[str, Any] = {"missing_sources": missing} if missing else {}
        summary = result.summary
        if summary is not None:
            fields |= {
                "snapshot_id": summary.snapshot_id,
                "files_new": summary.files_new,
                "files_changed": summary.files_changed,
                "files_unmodified": summary.files_unmodified,
                "data_added": summary.data_added,
                "total_bytes": summary.total_bytes,
            }
        locks = LOCKS_CLEAN
        if (
            cls.outcome not in (Outcome.SUCCESS, Outcome.INCOMPLETE)
            and result.started_restic
            and cls.reason not in NEVER_LOCKED
        ):
            # restic may leave its lock behind (hard kill, crash, or 0.14 interrupted early).
            stalled = (result.seconds_since_progress or 0.0) >= settings.stall_seconds
            if cls.reason == "repository_unreachable" or stalled:
                # The repository does not answer now: unlocking would only wait on it.
                locks = LOCKS_UNLOCK_LATER
            else:
                locks = LOCKS_UNLOCK_NOW
        return Verdict(cls.outcome, cls.reason, cls.message, counted, fields, locks)

    def notice(self, verdict: Verdict, result: RunResult, settings: Settings) -> Notice | None:
        if verdict.counted_success:
            if not settings.notify_success:
                return None
            if result.summary is None:
                return Notice("success", "Backup completed", verdict.message)
            # The title says it completed; the body says what it made, not the title again.
            made = result.summary.describe()
            made = made[:1].upper() + made[1:] + "."
            if verdict.reason == "ok":
                return Notice("success", "Backup completed", made)
            return Notice("success", "Backup completed", f"{verdict.message}\n{made}")
        if verdict.outcome is Outcome.INTERRUPTED:
            return None  # the user stopped it, or the monitor is quitting
        if verdict.reason == "before_hook_failed":
            return Notice("failure", "Backup skipped", verdict.message)
        # restic's last lines, less the one the reason already quotes.
        last_lines = "\n".join(line for line in result.tail[-5:] if line != verdict.message)
        body = verdict.message + (f"\n{last_lines}" if last_lines else "")
        if verdict.reason == "missing_source" and verdict.outcome is Outcome.INCOMPLETE:
            return Notice("failure", "Backup incomplete", verdict.message)
        return Notice("failure", "Backup failed", body)


def _missing_source(cls: Classification, missing: list[str], tail: list[str]) -> Classification:
    """A run that skipped a source that does not exist: never a success.

    Only a run restic ended on its own counts here (0, or 3 from 0.19; 1 when every
    source is missing): a stop, a wrong password or a missing repository say more.
    """
    if cls.outcome in (Outcome.SUCCESS, Outcome.INCOMPLETE) and missing:
        message = missing_source_message(missing, snapshot=True, unreadable=unreadable_files(tail))
        return Classification(Outcome.INCOMPLETE, "missing_source", message)
    if cls.outcome is Outcome.FAILED and cls.reason == "fatal" and all_sources_missing(tail):
        message = missing_source_message(missing, snapshot=False, unreadable=False)
        return Classification(Outcome.FAILED, "missing_source", message)
    return cls


BACKUP = BackupKind()
