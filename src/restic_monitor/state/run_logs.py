"""Each run's own restic log, kept for the newest ``keep_run_logs`` runs.

restic-last.log (and restic-forget.log and the others) hold only the latest
run of their kind: by the time a user opens the history to see why Tuesday's
backup failed, Wednesday's has overwritten it. When a run ends its log is
linked into ``logs/runs/`` under the run's id; the sink writes every run to a
new file, so the link keeps the old content without copying it (a copy is the
fallback where links are not possible). The oldest beyond the limit go.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

RUNS_FOLDER = "runs"


def runs_folder(logs: Path) -> Path:
    return logs / RUNS_FOLDER


def run_log_name(run_id: int, kind: str) -> str:
    return f"{run_id:08d}-{kind}.log"


def find_run_log(logs: Path, run_id: int) -> Path | None:
    """The kept log of run ``run_id`` in a profile's logs folder, if it is still kept."""
    with contextlib.suppress(OSError):
        for path in runs_folder(logs).glob(f"{run_id:08d}-*.log"):
            return path
    return None


def keep_run_log(source: Path | None, logs: Path, run_id: int, kind: str, keep: int) -> Path | None:
    """Keep ``source`` as run ``run_id``'s log and forget the oldest beyond ``keep``."""
    folder = runs_folder(logs)
    kept = None
    if keep > 0 and source is not None and source.is_file():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = folder / run_log_name(run_id, kind)
        with contextlib.suppress(FileNotFoundError):
            target.unlink()  # (a history reset may reuse an id)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        kept = target
    prune_run_logs(folder, keep)
    return kept


def prune_run_logs(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` run logs (by run id); the removed ones."""
    try:
        logs = sorted(p for p in folder.glob("*.log") if p.name[:8].isdigit())
    except OSError:
        return []
    removed = logs[: max(0, len(logs) - keep)]
    for path in removed:
        try:
            path.unlink()
        except OSError as exc:
            log.warning("cannot remove the old run log %s: %s", path, exc.strerror)
    return removed
