"""Every kind of job by name: the engine's only list of them."""

from __future__ import annotations

from restic_monitor.jobs.backup import BACKUP
from restic_monitor.jobs.base import JobKind
from restic_monitor.jobs.check import CHECK
from restic_monitor.jobs.copy import COPY
from restic_monitor.jobs.forget import FORGET
from restic_monitor.jobs.names import JOB_KINDS, MAINTENANCE
from restic_monitor.jobs.prune import PRUNE
from restic_monitor.jobs.restore import RESTORE
from restic_monitor.jobs.unlock import UNLOCK

KINDS: dict[str, JobKind] = {
    kind.name: kind for kind in (BACKUP, UNLOCK, FORGET, PRUNE, CHECK, COPY, RESTORE)
}
assert set(KINDS) == set(JOB_KINDS), "jobs/names.py lists every kind"
assert (COPY.name, FORGET.name, PRUNE.name, CHECK.name) == MAINTENANCE
__all__ = ["KINDS", "MAINTENANCE"]
