"""Which real restic binaries the tests run against, and which tests run against each.

Debian 12 ships restic 0.14; users run anything up to 0.19. The tests in
``ALL_VERSIONS`` check what restic does differently between versions and run once per
version (``test_x[restic-0.18.0]``); every other test that uses a real restic runs
against the first binary, the system's (apt) one.

The binaries: ``RESTIC_MONITOR_TEST_RESTICS``, an ``os.pathsep``-separated list (the
first one is the system's), as ``.ci/run`` exports it from ``.ci/fetch-restic.sh``.
Unset, the tests take ``restic`` from PATH plus whatever that script left in its cache
(``RESTIC_MONITOR_RESTIC_CACHE``, by default ``~/.cache/restic-monitor/test-restics``).

``RESTIC_MONITOR_TEST_ALL_VERSIONS=1`` runs every real-restic test on every version.
With ``CI=true`` every series in ``WANTED`` must be there, or its tests fail; elsewhere
they are skipped loudly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ENV_VAR = "RESTIC_MONITOR_TEST_RESTICS"
CACHE_VAR = "RESTIC_MONITOR_RESTIC_CACHE"
#: Set to 1 to run every test that uses a real restic on every version (slow).
EVERYTHING_VAR = "RESTIC_MONITOR_TEST_ALL_VERSIONS"
#: Debian 12 (bookworm), Debian 13 (trixie), Debian unstable (sid) in 2026.
WANTED = ("0.14", "0.18", "0.19")

#: Tests that run once per restic version, as ``module::function``: what differs between
#: versions and is cheap to run (about 40 s a version on 2 cores): the ``--json`` summary
#: we parse (short id up to 0.17, full id from 0.18), exit codes (wrong password 1/12,
#: no repository 1/10, locked), restores compared byte for byte, ``check``, locks left by a
#: killed restic and their removal (restic unlock, stale-lock rules changed in 0.17), the
#: REST and S3 backends, and setup's connection test.
#:
#: On the system's restic only, because they cost much more per version than they tell:
#: - test_reliability::test_interrupting_a_backup_at_any_moment_leaves_no_lock: 60 s on
#:   0.14, 123 s on 0.18 and 0.19 (after SIGINT they still upload the pack in flight at
#:   --limit-upload speed, about 8 s a stop). All pass when run (exit 1 on 0.18, 130 on
#:   0.19: "interrupted" either way);
#: - test_remote_faults: the outage tests (15-50 s each, 30 s of it waiting for the hard
#:   kill of a restic that retries a vanished server, on every version alike);
#: - the tray on a real desktop, the keyring, the demo: our plumbing around a backup;
#: - test_setup_remote's sftp test (about 10 s a version, passes on each: restic's sftp
#:   backend runs ssh the same way in all of them).
#: RESTIC_MONITOR_TEST_ALL_VERSIONS=1 runs those on every version too (about 18 min).
ALL_VERSIONS = frozenset(
    {
        "test_real_restic::test_cli_backup_without_instance_creates_snapshot_that_restores_identical",
        "test_real_restic::test_daemon_backs_up_when_idle_file_crosses_threshold",
        "test_real_restic::test_wrong_password_is_reported_as_such",
        "test_real_restic::test_missing_repository_is_reported_as_such",
        "test_real_restic::test_restic_passthrough_and_check_use_the_configured_environment",
        "test_real_restic::test_repository_locked_by_a_live_process_is_reported_and_its_lock_kept",
        "test_real_restic::test_a_missing_backup_folder_is_incomplete_never_a_success_even_with_ignore_exit_code_3",
        "test_real_restic::test_unreadable_files_alone_follow_ignore_exit_code_3",
        "test_real_restic::test_an_error_about_a_wrong_location_shows_the_location_and_never_a_password",
        "test_crash_recovery::test_sigkilled_monitor_restarted_stops_the_orphan_and_leaves_no_lock",
        "test_crash_recovery::test_monitor_and_restic_both_killed_stale_lock_is_cleared_on_restart",
        "test_remote_faults::test_backup_over_rest_restores_identical",
        # forget's and check's output differ between versions (0.16+ word damage differently)
        "test_maintenance_real::test_the_daemon_applies_the_policy_when_due_frees_space_and_keeps_the_newest",
        "test_maintenance_real::test_a_damaged_pack_fails_the_scheduled_check_and_check_full_with_a_red_status",
        # restore: no JSON progress and no overwrite control on 0.14, JSON from 0.16; the
        # SIGINT exit code; snapshots' summary and ls' message_type from 0.17
        "test_restore_real::test_snapshots_and_ls_agree_with_restics_own_output",
        "test_restore_real::test_a_file_and_a_folder_from_an_older_snapshot_restore_byte_identical_in_place",
        "test_restore_real::test_a_conflicting_target_is_refused_without_writing_then_overwrite_replaces",
        "test_restore_real::test_a_stopped_restore_leaves_a_clean_target_and_no_lock",
        "test_restore_real::test_restore_through_the_instance_waits_for_the_backup_and_reports_progress",
        # setup: the connection test's verdict and init, from the wizard to a real backup
        "test_setup_wizard::test_a_new_local_folder_is_created_written_and_backed_up_for_real",
        # setup's connection test: 0.17+ retry a refused connection and a missing S3 bucket
        # for 15 minutes where 0.14 fails at once (setup answers from the first failure)
        "test_setup_command::test_each_failure_says_its_cause_and_writes_nothing",
        "test_setup_remote::test_s3_with_init_then_the_monitor_backs_up_there",
        "test_setup_remote::test_s3_wrong_password_says_so_and_writes_nothing",
        "test_setup_remote::test_s3_endpoint_nobody_answers_says_cannot_reach_at_once_and_writes_nothing",
    }
)


@dataclass(frozen=True)
class Restic:
    """One slot of the parametrization: a series we want, and the binary for it if any."""

    series: str
    exe: str | None = None
    version: str | None = None

    @property
    def id(self) -> str:
        return f"restic-{self.version or self.series}"


def version_of(exe: str) -> str | None:
    """``0.18.0`` from ``restic 0.18.0 compiled with go1.24.4 on linux/amd64``."""
    try:
        out = subprocess.run(
            [exe, "version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return out[1] if len(out) > 1 and out[0] == "restic" else None


def series_of(version: str) -> str:
    return ".".join(version.split(".")[:2])


def cache_dir() -> Path:
    if os.environ.get(CACHE_VAR):
        return Path(os.environ[CACHE_VAR])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "restic-monitor" / "test-restics"


def configured() -> list[str]:
    """The binaries, the system's first: from the environment, else PATH and the cache."""
    listed = os.environ.get(ENV_VAR)
    if listed is not None:
        return [p for p in listed.split(os.pathsep) if p]
    found = [p for p in [shutil.which("restic")] if p]
    found += sorted(str(p) for p in cache_dir().glob("*/usr/bin/restic"))
    return found


@cache
def restics() -> tuple[Restic, ...]:
    """Every configured version once, the first one first, and a slot with ``exe=None``
    for each series in ``WANTED`` that none of them is."""
    present: dict[str, Restic] = {}
    for exe in configured():
        version = version_of(exe)
        if version is not None and version not in present:
            present[version] = Restic(series_of(version), exe, version)
    found = list(present.values())
    slots = found[:1] + sorted(found[1:], key=_key)
    series = {r.series for r in found}
    slots += [Restic(s) for s in WANTED if s not in series]
    return tuple(slots)


def _key(r: Restic) -> tuple[int, ...]:
    return tuple(
        int("".join(c for c in p if c.isdigit()) or 0) for p in (r.version or "").split(".")
    )


def primary() -> Restic | None:
    """The binary for the tests that need some real restic: the first, the system's."""
    slots = restics()
    return slots[0] if slots and slots[0].exe else None


def stale_names(modules: dict[str, object]) -> list[str]:
    """Names in ``ALL_VERSIONS`` whose module was collected but has no such test."""
    return sorted(
        name
        for name in ALL_VERSIONS
        if (mod := name.split("::")[0]) in modules
        and not hasattr(modules[mod], name.split("::")[1])
    )


def runs_on_all_versions(module: str, function: str) -> bool:
    if os.environ.get(EVERYTHING_VAR, "").strip().lower() in {"1", "true", "yes"}:
        return True
    return f"{module}::{function}" in ALL_VERSIONS


def missing_message(slot: Restic) -> str:
    listed = os.environ.get(ENV_VAR)
    where = (
        f"${ENV_VAR}={listed!r}" if listed is not None else f"neither on PATH nor in {cache_dir()}"
    )
    return f"restic {slot.series} is not available ({where}); .ci/fetch-restic.sh fetches it"
