"""The metrics: what a fleet's Prometheus needs to know of each profile, as text.

Prometheus's conventions: base units (seconds, bytes), ``_seconds``,
``_bytes`` and ``_total`` suffixes, labels ``profile`` and ``host`` on every
series (and ``kind``, ``outcome`` where they apply), and the text exposition
format that node_exporter's textfile collector, the Pushgateway and
``restic-monitor metrics`` all speak. Gathered from the status and the
history (what the user sees), rendered by a pure function.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from restic_monitor.isotime import parse_iso
from restic_monitor.jobs.names import JOB_KINDS
from restic_monitor.state.history import History, RunRecord
from restic_monitor.status.model import Status

#: (name, type, help) of every family, in the order printed.
FAMILIES = (
    ("restic_monitor_last_success_timestamp_seconds", "gauge",
     "When the profile's last successful backup ended (Unix time)."),
    ("restic_monitor_last_run_timestamp_seconds", "gauge",
     "When the last job of each kind ended (Unix time)."),
    ("restic_monitor_last_run_duration_seconds", "gauge",
     "How long the last job of each kind took."),
    ("restic_monitor_last_run_success", "gauge",
     "Whether the last job of each kind succeeded (1) or not (0)."),
    ("restic_monitor_last_backup_added_bytes", "gauge",
     "The data the last successful backup added to the repository."),
    ("restic_monitor_last_backup_files_new", "gauge",
     "The new files of the last successful backup."),
    ("restic_monitor_last_backup_files_changed", "gauge",
     "The changed files of the last successful backup."),
    ("restic_monitor_consecutive_failures", "gauge",
     "Automatic backups that failed in a row since the last success."),
    ("restic_monitor_paused", "gauge", "Whether automatic backups are paused (1) or not (0)."),
    ("restic_monitor_warning", "gauge",
     "Whether the no-recent-backup warning is on (1) or not (0)."),
    ("restic_monitor_runs_total", "counter", "Jobs that ended, by kind and outcome."),
)  # fmt: skip


@dataclass(frozen=True)
class ProfileFacts:
    """One profile's numbers, gathered once for every format they are written in."""

    profile: str
    last_success: float | None = None
    #: The last job of each kind that ended.
    last_runs: dict[str, RunRecord] = field(default_factory=dict)
    #: The last successful backup (its numbers).
    last_backup: RunRecord | None = None
    consecutive_failures: int = 0
    paused: bool = False
    warning: bool = False
    totals: dict[tuple[str, str], int] = field(default_factory=dict)


def host_name() -> str:
    return socket.gethostname()


def gather(status: Status, history: History) -> list[ProfileFacts]:
    """Every profile's facts, from the status (as shown) and the history."""
    out = []
    for p in status.profiles:
        last_runs: dict[str, RunRecord] = {}
        for kind in JOB_KINDS:
            ended = next((r for r in history.recent(5, kind=kind, profile=p.name) if r.ended), None)
            if ended is not None:
                last_runs[kind] = ended
        backups = history.recent(25, kind="backup", profile=p.name)
        last_backup = next((r for r in backups if r.counted_success), None)
        success = None
        if p.last_success:
            try:
                success = parse_iso(p.last_success)
            except ValueError:
                success = None
        out.append(
            ProfileFacts(
                profile=p.name,
                last_success=success,
                last_runs=last_runs,
                last_backup=last_backup,
                consecutive_failures=p.consecutive_failures,
                paused=p.paused,
                warning=p.warning,
                totals=history.totals(p.name),
            )
        )
    return out


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def render(facts: Sequence[ProfileFacts], host: str | None = None) -> str:
    """The text exposition format: each family once, with its HELP and TYPE."""
    host = host_name() if host is None else host
    series: dict[str, list[str]] = {name: [] for name, _, _ in FAMILIES}

    def add(name: str, value: float, profile: str, **labels: str) -> None:
        pairs = {"profile": profile, "host": host, **labels}
        text = ",".join(f'{k}="{_label(v)}"' for k, v in pairs.items())
        series[name].append(f"{name}{{{text}}} {_number(value)}")

    for f in facts:
        if f.last_success is not None:
            add("restic_monitor_last_success_timestamp_seconds", f.last_success, f.profile)
        for kind, run in sorted(f.last_runs.items()):
            assert run.ended is not None
            add("restic_monitor_last_run_timestamp_seconds", run.ended, f.profile, kind=kind)
            add("restic_monitor_last_run_duration_seconds", run.duration or 0.0, f.profile,
                kind=kind)  # fmt: skip
            add("restic_monitor_last_run_success", 1 if run.counted_success else 0, f.profile,
                kind=kind)  # fmt: skip
        backup = f.last_backup
        if backup is not None:
            add("restic_monitor_last_backup_added_bytes", backup.data_added or 0, f.profile)
            add("restic_monitor_last_backup_files_new", backup.files_new or 0, f.profile)
            add("restic_monitor_last_backup_files_changed", backup.files_changed or 0, f.profile)
        add("restic_monitor_consecutive_failures", f.consecutive_failures, f.profile)
        add("restic_monitor_paused", 1 if f.paused else 0, f.profile)
        add("restic_monitor_warning", 1 if f.warning else 0, f.profile)
        for (kind, outcome), count in sorted(f.totals.items()):
            add("restic_monitor_runs_total", count, f.profile, kind=kind, outcome=outcome)
    lines: list[str] = []
    for name, kind, text in FAMILIES:
        if not series[name]:
            continue
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *series[name]]
    return "\n".join(lines) + "\n" if lines else ""


def for_profiles(facts: Iterable[ProfileFacts], names: Iterable[str]) -> list[ProfileFacts]:
    wanted = set(names)
    return [f for f in facts if f.profile in wanted]
