"""The restore job: files and folders of a snapshot put back, each under its own name.

restic restores into a staging folder inside the target (``--include`` per
item, which every version from 0.14 understands, rather than 0.16's
``snapshot:subfolder``); the run's thread then moves the items into place
(:mod:`restic_monitor.restore.place`). Progress comes from restic's JSON
from 0.16, and from the bytes written into the staging folder before that.
A restore is queued like any job (never two restic at once), and stopping it
leaves the target as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restic_monitor.config.settings import Settings
from restic_monitor.humanize import human_bytes
from restic_monitor.jobs.base import (
    CannotRun,
    JobContext,
    Refusal,
    RunPlan,
    Verdict,
    restic_for,
)
from restic_monitor.jobs.maintenance import maintenance_verdict
from restic_monitor.notify import Notice
from restic_monitor.paths import ProfileFiles
from restic_monitor.restic.command import version_tuple
from restic_monitor.restic.outcomes import Outcome
from restic_monitor.restic.output import Progress
from restic_monitor.restic.runner import RunResult
from restic_monitor.restic.snapshots import literal_pattern
from restic_monitor.restore import place

#: restic prints restore progress as JSON from this version on.
JSON_RESTORE = (0, 16, 0)
#: A restore that took longer than this is announced when it ends.
LONG_RESTORE_SECONDS = 30.0
CONFLICTS = "conflicts"


@dataclass(frozen=True)
class RestoreRequest:
    """What to restore: a snapshot's items (their paths in the snapshot) into a folder.

    No paths: the whole snapshot, each of its backed-up folders (``roots``) under its
    name; restic then restores without ``--include``.
    """

    snapshot: str
    paths: tuple[str, ...]
    target: str
    overwrite: bool = False
    roots: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshot": self.snapshot,
            "paths": list(self.paths),
            "target": self.target,
            "overwrite": self.overwrite,
            "roots": list(self.roots),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RestoreRequest:
        """A request from the control channel, checked (``ValueError`` says what is wrong)."""
        if not isinstance(data, Mapping):
            raise ValueError("restore: the request must be an object")
        snapshot, paths, target = data.get("snapshot"), data.get("paths"), data.get("target")
        roots = data.get("roots", [])
        if not isinstance(snapshot, str) or not snapshot:
            raise ValueError("restore: snapshot must be a snapshot id")
        for name, value in (("paths", paths), ("roots", roots)):
            if not isinstance(value, list) or not all(
                isinstance(p, str) and p.startswith("/") for p in value
            ):
                raise ValueError(f"restore: {name} must be a list of paths in the snapshot")
        assert isinstance(paths, list) and isinstance(roots, list)
        if not paths and not roots:
            raise ValueError("restore: paths must name what to restore")
        if not isinstance(target, str) or not Path(target).is_absolute():
            raise ValueError("restore: target must be an absolute path")
        place.check_names(paths or roots)
        overwrite = data.get("overwrite") is True
        return cls(snapshot, tuple(paths), target, overwrite, tuple(roots))


include_pattern = literal_pattern


class RestoreKind:
    name = "restore"
    is_backup = False
    needs_clean_locks = True

    def refusal(self, profile: ProfileFiles, settings: Settings) -> Refusal | None:
        return None

    def plan(self, context: JobContext) -> RunPlan:
        try:
            request = RestoreRequest.from_json(context.request)
        except ValueError as exc:
            raise CannotRun(Verdict(Outcome.ERROR, "invalid_request", str(exc))) from None
        restic = restic_for(context)
        version = context.restic_version(restic.exe)
        target = Path(request.target)
        try:
            staging = place.make_staging(target)
        except OSError as exc:
            message = f"Cannot write into {target}: {exc.strerror or exc}."
            raise CannotRun(Verdict(Outcome.ERROR, "target_not_writable", message)) from None
        json_progress = version_tuple(version) >= JSON_RESTORE
        args = ["restore", *context.config.settings.restore_args, request.snapshot]
        args += ["--target", str(staging)]
        for path in request.paths:
            args += ["--include", include_pattern(path)]
        if json_progress:
            args.insert(1, "--json")

        def finish(result: RunResult) -> dict[str, Any]:
            return _finish(staging, request, result)

        def probe() -> Progress | None:
            files, size = place.staged_bytes(staging)
            return Progress(None, files, None, size, None, None, None)

        header = f"trigger: {context.trigger}, profile: {context.profile.name}, "
        what = f"{len(request.paths)} item(s)" if request.paths else "the whole snapshot"
        header += f"restoring {what} into {target}"
        return RunPlan(
            command=restic.command(*args),
            log_path=context.profile.logs / "restic-restore.log",
            json_progress=json_progress,
            header=header,
            restic_version=version,
            finish=finish,
            probe=None if json_progress else probe,
        )

    def judge(self, result: RunResult, settings: Settings) -> Verdict:
        verdict = maintenance_verdict("The restore", result)
        done = result.finished
        target = done.get("target", "the target")
        if verdict.outcome is Outcome.INTERRUPTED:
            message = f"The restore was stopped; nothing was written to {target}."
            return Verdict(verdict.outcome, verdict.reason, message, False, {}, verdict.locks)
        if not verdict.counted_success:
            if done.get("target") and result.started_restic:
                message = f"{verdict.message} Nothing was written to {target}."
                return Verdict(verdict.outcome, verdict.reason, message, False, {}, verdict.locks)
            return verdict
        if done.get(CONFLICTS):
            return Verdict(Outcome.FAILED, CONFLICTS, str(done.get("error")), False,
                           {"restore_target": target})  # fmt: skip
        if done.get("error"):
            return Verdict(Outcome.FAILED, "restore_failed", str(done["error"]), False,
                           {"restore_target": target})  # fmt: skip
        files, size = int(done.get("files", 0)), int(done.get("bytes", 0))
        message = (
            f"Restored {files:,} file{'s' if files != 1 else ''} ({human_bytes(size)}) from "
            f"snapshot {str(done.get('snapshot', ''))[:8]} into {target}."
        )
        fields = {
            "snapshot_id": done.get("snapshot"),
            "files_restored": files,
            "bytes_restored": size,
            "restore_target": target,
        }
        return Verdict(Outcome.SUCCESS, "ok", message, True, fields)

    def notice(self, verdict: Verdict, result: RunResult, settings: Settings) -> Notice | None:
        if verdict.counted_success:
            if result.duration < LONG_RESTORE_SECONDS:
                return None  # the user is looking at it; a notice would only repeat it
            return Notice("success", "Restore finished", verdict.message)
        if verdict.outcome is Outcome.INTERRUPTED:
            return None
        return Notice("failure", "Restore failed", verdict.message)


def _finish(staging: Path, request: RestoreRequest, result: RunResult) -> dict[str, Any]:
    """Move what restic restored into place, or leave the target untouched."""
    out: dict[str, Any] = {"target": request.target, "snapshot": request.snapshot}
    try:
        if result.exit_code != 0:
            return out
        items = request.paths or place.whole_snapshot(staging, request.roots)
        placed = place.place(staging, items, Path(request.target), request.overwrite)
        out.update(files=placed.files, bytes=placed.bytes, placed=[str(p) for p in placed.paths])
    except place.Conflicts as exc:
        out.update(error=str(exc), conflicts=[str(p) for p in exc.paths[:100]])
    except OSError as exc:
        text = str(exc) if exc.strerror is None else f"{exc.filename}: {exc.strerror}"
        out.update(error=f"The restored files could not be moved into place: {text}.")
    finally:
        place.remove_staging(staging)
    return out


RESTORE = RestoreKind()
