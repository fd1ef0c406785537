"""Backup sources that do not exist, told apart from files that cannot be read.

restic 0.14 and 0.18 skip a missing source and exit 0; 0.19 exits 3, which
``ignore_exit_code_3`` would count. The parsing is tested on the real output
of each version (``tests/restic_output/``, written by its ``record.py``), the
engine with a scripted restic; test_real_restic runs it on every version.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
from pathlib import Path

import pytest

from restic_monitor.config.settings import Settings
from restic_monitor.jobs.backup import BACKUP
from restic_monitor.restic.masking import Redactor
from restic_monitor.restic.outcomes import Outcome
from restic_monitor.restic.output import MISSING_SOURCE, Summary, missing_sources
from restic_monitor.restic.reader import OutputReader
from restic_monitor.restic.runner import RunResult
from restic_monitor.state.history import History, RunRecord
from restic_monitor.status.text import describe_run, format_status
from restic_monitor.tray.state import tooltip
from restic_monitor.tray.view import tray_view

from .engine_rig import Rig

OUTPUT = Path(__file__).parent / "restic_output"
MANIFEST: dict[str, dict[str, int]] = json.loads((OUTPUT / "manifest.json").read_text())
VERSIONS = sorted(MANIFEST)
ROOT = "/tmp/restic-monitor-fixture"
MISSING = {
    "missing-one": [f"{ROOT}/missing"],
    "missing-two": [f"{ROOT}/missing", f"{ROOT}/also-missing"],
    "missing-all": [f"{ROOT}/missing", f"{ROOT}/also-missing"],
    "unreadable": [],
    "missing-and-unreadable": [f"{ROOT}/missing"],
}
CASES = [(v, case, mode) for v in VERSIONS for case in MISSING for mode in ("text", "json")]


def real_run(version: str, case: str, mode: str) -> RunResult:
    """A run as the runner reports it, from the output restic ``version`` printed."""
    name = f"{case}-{mode}"
    reader = OutputReader(Redactor(()), json_progress=mode == "json", collect=(MISSING_SOURCE,))
    reader.feed((OUTPUT / version / f"{name}.out").read_bytes().split(b"\n"))
    return RunResult(
        exit_code=MANIFEST[version][name],
        started=0.0,
        ended=1.0,
        duration=1.0,
        summary=reader.summary,
        tail=reader.tail(),
        pid=4242,
        collected=list(reader.collected),
    )


def test_the_recordings_cover_the_three_restic_series() -> None:
    assert {".".join(v.split(".")[:2]) for v in VERSIONS} >= {"0.14", "0.18", "0.19"}
    assert MANIFEST["0.14.0"]["missing-one-text"] == 0  # the issue: a "success"
    assert MANIFEST["0.19.1"]["missing-one-json"] == 3  # and 0.19's exit code 3


@pytest.mark.parametrize(("version", "case", "mode"), CASES)
def test_missing_sources_are_read_from_real_output_and_unreadable_files_are_not(
    version: str, case: str, mode: str
) -> None:
    result = real_run(version, case, mode)

    assert missing_sources(result.collected) == MISSING[case]
    # The unreadable file and folder are named in restic's error lines, never as missing.
    assert not any("unreadable" in path for path in missing_sources(result.collected))


@pytest.mark.parametrize("ignore_exit_code_3", [False, True])
@pytest.mark.parametrize(("version", "case", "mode"), CASES)
def test_a_missing_source_never_counts_on_any_version_unreadable_files_follow_the_setting(
    version: str, case: str, mode: str, ignore_exit_code_3: bool
) -> None:
    settings = Settings(args=("backup",), ignore_exit_code_3=ignore_exit_code_3)
    verdict = BACKUP.judge(real_run(version, case, mode), settings)

    if case == "unreadable":
        assert (verdict.outcome, verdict.reason) == (Outcome.INCOMPLETE, "incomplete")
        assert verdict.counted_success is ignore_exit_code_3
        assert "missing_sources" not in verdict.fields
        return
    assert verdict.reason == "missing_source"
    assert verdict.counted_success is False
    assert verdict.fields["missing_sources"] == MISSING[case]
    for path in MISSING[case]:
        assert path in verdict.message
    if case == "missing-all":
        assert verdict.outcome is Outcome.FAILED
        assert verdict.message.startswith("No backup: none of the backup folders exists")
    else:
        assert verdict.outcome is Outcome.INCOMPLETE
        if mode == "json":  # restic made a snapshot, without the folder
            assert verdict.fields["snapshot_id"]
    # 0.19 also says "at least one source file could not be read" for a missing folder alone
    unreadable_too = "Some files could not be read as well." in verdict.message
    assert unreadable_too is (case == "missing-and-unreadable")


# --- the engine: history, status, tray, notice ------------------------------------------


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    r = Rig(tmp_path)
    r.profile(min_idle_seconds=1, min_seconds_between_backups=0, ignore_exit_code_3=True)
    return r


SKIPPED = "/media/usb-disk/photos does not exist, skipping"
SUMMARY = Summary("5e1ec7ed", 1, 0, 0, 10, 10, 1.0)


def backup(rig: Rig, exit_code: int, lines: list[str]) -> RunRecord:
    job, _ = rig.engine.backup("default")
    future: concurrent.futures.Future[RunRecord] = concurrent.futures.Future()
    job.waiters.append(future)
    rig.run.finish(exit_code, lines=lines, summary=SUMMARY)
    rig.step()
    return future.result(0)


@pytest.mark.parametrize("exit_code", [0, 3], ids=["restic-0.14-0.18", "restic-0.19"])
def test_a_missing_source_is_incomplete_even_with_ignore_exit_code_3_and_named_everywhere(
    rig: Rig, exit_code: int, caplog: pytest.LogCaptureFixture
) -> None:
    lines = [SKIPPED, "snapshot 5e1ec7ed saved"]
    if exit_code == 3:
        lines.append("Warning: at least one source file could not be read")
    with caplog.at_level(logging.WARNING):
        record = backup(rig, exit_code, lines)

    assert (record.outcome, record.reason, record.counted_success) == (
        "incomplete",
        "missing_source",
        False,
    )
    assert record.missing_sources == ["/media/usb-disk/photos"]
    assert "/media/usb-disk/photos does not exist" in (record.message or "")
    assert record.snapshot_id == "5e1ec7ed"
    assert not rig.home.marker.exists(), "a backup without the folder is not a success"
    stored = History(rig.home.history_db).recent(1)[0]
    assert stored.missing_sources == ["/media/usb-disk/photos"]
    # status: the run's message and its own key
    status = rig.status()
    assert status.last_run is not None
    assert status.last_run.missing_sources == ["/media/usb-disk/photos"]
    assert status.warning is True
    assert "/media/usb-disk/photos" in format_status(status, now=rig.clock())
    assert "ignore_exit_code_3 does not cover" in describe_run(status.last_run)
    # the tray's menu and tooltip
    view = tray_view(status, now=rig.clock())
    assert any("/media/usb-disk/photos" in e.label for e in view.entries())
    assert "/media/usb-disk/photos" in tooltip(status, now=rig.clock())
    # the notice and the log
    notice = next(n for n in rig.notices.notices if n.kind == "failure")
    assert notice.title == "Backup incomplete"
    assert "/media/usb-disk/photos" in notice.body
    assert "/media/usb-disk/photos does not exist" in caplog.text


def test_unreadable_files_alone_still_count_with_ignore_exit_code_3(rig: Rig) -> None:
    record = backup(rig, 3, ["error: open /home/me/locked.db: permission denied"])

    assert (record.outcome, record.reason, record.counted_success) == (
        "incomplete",
        "incomplete",
        True,
    )
    assert record.missing_sources is None
    assert rig.home.marker.exists()


def test_a_stop_wins_over_a_missing_source(rig: Rig) -> None:
    rig.engine.backup("default")
    rig.engine.stop()
    rig.run.finish(130, lines=[SKIPPED])  # restic 0.19 after SIGINT (0.14 to 0.18: 1)
    rig.step()

    record = History(rig.home.history_db).recent(1, kind="backup")[0]
    assert (record.outcome, record.reason) == ("interrupted", "interrupted")
    assert "failure" not in rig.notices.kinds()


def test_a_missing_repository_says_so_even_when_a_source_is_missing_too(rig: Rig) -> None:
    record = backup(rig, 10, [SKIPPED, "Fatal: repository does not exist: unable to open"])

    assert (record.outcome, record.reason) == ("failed", "repository_missing")


def test_history_keeps_a_missing_source_run_across_a_restart(rig: Rig, tmp_path: Path) -> None:
    backup(rig, 0, [SKIPPED])

    again = Rig(tmp_path)  # the same home, a new engine
    again.step()
    last = again.of("default").last_run
    assert last is not None and last.missing_sources == ["/media/usb-disk/photos"]
