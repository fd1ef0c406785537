"""Tests for persisted state: atomic writes, pause, marker, engine state, run history."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.isotime import parse_iso, to_iso
from restic_monitor.paths import Home
from restic_monitor.state.files import (
    MAX_STATE_BYTES,
    EngineState,
    atomic_write,
    clear_pause,
    read_engine_state,
    read_last_success,
    read_pause,
    write_engine_state,
    write_last_success,
    write_pause,
)
from restic_monitor.state.history import History, RunRecord, consecutive_failures, last_finished

from .first_release import first_release_history

EPOCH_2030_UTC = 1_893_456_000.0  # 2030-01-01T00:00:00+00:00
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
CORRUPT_NAME = re.compile(r"^history\.sqlite3\.corrupt-\d{8}-\d{6}-\d{9}$")
POSIX = sys.platform != "win32"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    h = Home(tmp_path / "home")
    h.root.mkdir()
    return h


@pytest.fixture
def india_tz() -> Iterator[None]:
    """Local time zone UTC+05:30 (no DST) for the duration of a test."""
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    old = os.environ.get("TZ")
    os.environ["TZ"] = "IST-5:30"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# --- atomic_write ----------------------------------------------------------------------------


def test_atomic_write_creates_parents_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "file.txt"
    atomic_write(target, b"first")
    assert target.read_bytes() == b"first"
    assert leftovers(target.parent) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_atomic_write_replaces_content_entirely(tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_bytes(b"a much longer original content\n" * 100)
    atomic_write(target, b"short")
    assert target.read_bytes() == b"short"
    atomic_write(target, b"")
    assert target.read_bytes() == b""
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_atomic_write_sets_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "file.txt"
    if mode == 0o600:
        atomic_write(target, b"x")
    else:
        atomic_write(target, b"x", mode=mode)
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_atomic_write_failure_keeps_old_target_and_removes_temp(tmp_path: Path) -> None:
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "keep.txt").write_bytes(b"old")
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert (target / "keep.txt").read_bytes() == b"old"
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"]


# --- ISO times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2030-01-01T00:00:00+00:00", EPOCH_2030_UTC, id="utc-offset"),
        pytest.param("2030-01-01T00:00:00Z", EPOCH_2030_UTC, id="zulu"),
        pytest.param("2030-01-01T00:00:00z", EPOCH_2030_UTC, id="zulu-lower"),
        pytest.param("2030-01-01T02:00:00+02:00", EPOCH_2030_UTC, id="plus-two"),
        pytest.param("2029-12-31T19:00:00-05:00", EPOCH_2030_UTC, id="minus-five"),
        pytest.param("  2030-01-01T00:00:00+00:00 \n", EPOCH_2030_UTC, id="whitespace"),
        pytest.param("2030-01-01T00:00:00.500+00:00", EPOCH_2030_UTC + 0.5, id="fraction"),
        pytest.param("2030-01-01 00:00:00Z", EPOCH_2030_UTC, id="space-separator"),
    ],
)
def test_parse_iso_table(text: str, expected: float) -> None:
    assert parse_iso(text) == expected


def test_to_iso_has_offset_and_round_trips_to_the_second() -> None:
    text = to_iso(EPOCH_2030_UTC + 0.9)
    assert ISO_WITH_OFFSET.match(text), text
    assert parse_iso(text) == EPOCH_2030_UTC


def test_to_iso_uses_local_offset(india_tz: None) -> None:
    assert to_iso(EPOCH_2030_UTC) == "2030-01-01T05:30:00+05:30"


# --- pause ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("until", [EPOCH_2030_UTC, 1_700_000_123.0, 4_102_444_800.0])
def test_pause_round_trip(home: Home, until: float) -> None:
    write_pause(home, until)
    assert read_pause(home) == until
    text = home.pause_until.read_text(encoding="utf-8")
    assert text.endswith("\n")
    assert ISO_WITH_OFFSET.match(text.strip()), text
    assert leftovers(home.root) == []


def test_pause_round_trip_in_other_time_zone(home: Home, india_tz: None) -> None:
    write_pause(home, EPOCH_2030_UTC)
    assert home.pause_until.read_text(encoding="utf-8") == "2030-01-01T05:30:00+05:30\n"
    assert read_pause(home) == EPOCH_2030_UTC


def test_pause_fraction_truncated_to_the_second(home: Home) -> None:
    write_pause(home, EPOCH_2030_UTC + 0.75)
    assert read_pause(home) == EPOCH_2030_UTC


def test_write_pause_replaces_previous_pause(home: Home) -> None:
    write_pause(home, EPOCH_2030_UTC)
    write_pause(home, EPOCH_2030_UTC + 3600)
    assert read_pause(home) == EPOCH_2030_UTC + 3600


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"2030-01-01T00:00:00Z\n", EPOCH_2030_UTC, id="zulu"),
        pytest.param(b"2030-01-01T00:00:00+00:00", EPOCH_2030_UTC, id="no-newline"),
        pytest.param(b"2030-01-01T00:00:00+00:00\r\n", EPOCH_2030_UTC, id="crlf"),
        pytest.param(b"\xef\xbb\xbf2030-01-01T00:00:00Z\r\n", EPOCH_2030_UTC, id="bom"),
        pytest.param(b"2030-01-01T00:00:00Z\nsecond line ignored\n", EPOCH_2030_UTC, id="lines"),
        pytest.param(b"2030-01-01T01:00:00+01:00\n", EPOCH_2030_UTC, id="other-offset"),
    ],
)
def test_read_pause_accepts_hand_written_times(home: Home, content: bytes, expected: float) -> None:
    home.pause_until.write_bytes(content)
    assert read_pause(home) == expected


def test_read_pause_naive_time_is_local(home: Home, india_tz: None) -> None:
    home.pause_until.write_text("2030-01-01T00:00:00\n", encoding="utf-8")
    assert read_pause(home) == EPOCH_2030_UTC - 5.5 * 3600


def test_read_pause_absent_is_none(home: Home) -> None:
    assert read_pause(home) is None


def test_clear_pause_removes_file_and_is_idempotent(home: Home) -> None:
    write_pause(home, EPOCH_2030_UTC)
    clear_pause(home)
    assert not home.pause_until.exists()
    assert read_pause(home) is None
    clear_pause(home)  # no file: no error
    assert not home.pause_until.exists()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"garbage", id="garbage"),
        pytest.param(b"tomorrow at noon\n", id="words"),
        pytest.param(b"2030-13-45T99:99:99", id="impossible-date"),
        pytest.param(b"2030-01-01T00:00:00+25:00", id="impossible-offset"),
        pytest.param(b"1893456000", id="epoch-number"),
        pytest.param(b"\x00" * 64, id="nul-bytes"),
        pytest.param(b"\xff\xfe\x00\x01\x80\x81", id="not-utf8"),
        pytest.param(b"2030-01-01T00:00:00Z\xff", id="valid-then-not-utf8"),
        pytest.param(b"x" * (MAX_STATE_BYTES + 1), id="huge-garbage"),
        pytest.param(
            b"2030-01-01T00:00:00Z\n" + b" " * MAX_STATE_BYTES, id="huge-with-valid-first-line"
        ),
        pytest.param(b"0001-01-01T00:00:00", id="year-one-local"),
    ],
)
def test_read_pause_damaged_file_is_no_pause(
    home: Home, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    home.pause_until.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="restic_monitor.state"):
        assert read_pause(home) is None
    assert any(str(home.pause_until) in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("content", [b"", b"   \n\t\n", b"\xef\xbb\xbf"])
def test_read_pause_empty_file_is_no_pause(home: Home, content: bytes) -> None:
    home.pause_until.write_bytes(content)
    assert read_pause(home) is None


def test_read_pause_directory_is_no_pause(home: Home) -> None:
    home.pause_until.mkdir()
    assert read_pause(home) is None
    assert home.pause_until.is_dir()


# --- last-success marker -------------------------------------------------------------------------


@pytest.mark.parametrize("when", [EPOCH_2030_UTC, 1_600_000_000.0, 1_700_000_000.25])
def test_marker_round_trip_sets_mtime(home: Home, when: float) -> None:
    write_last_success(home, when, "abcdef12")
    assert read_last_success(home) == pytest.approx(when, abs=1e-3)
    assert home.marker.stat().st_mtime == pytest.approx(when, abs=1e-3)
    text = home.marker.read_text(encoding="utf-8")
    assert text.startswith(f"last successful backup: {to_iso(when)}\n")
    assert "snapshot: abcdef12\n" in text


def test_marker_without_snapshot_has_no_snapshot_line(home: Home) -> None:
    write_last_success(home, EPOCH_2030_UTC, None)
    assert "snapshot" not in home.marker.read_text(encoding="utf-8")
    assert read_last_success(home) == EPOCH_2030_UTC


def test_marker_rewrite_with_older_time_moves_mtime_back(home: Home) -> None:
    write_last_success(home, EPOCH_2030_UTC, "new")
    write_last_success(home, EPOCH_2030_UTC - 86400, "old")
    assert read_last_success(home) == EPOCH_2030_UTC - 86400
    assert leftovers(home.root) == []


def test_marker_absent_is_none(home: Home) -> None:
    assert read_last_success(home) is None


def test_marker_mtime_is_what_counts_not_content(home: Home) -> None:
    home.marker.write_text("anything at all", encoding="utf-8")
    os.utime(home.marker, (1_650_000_000, 1_650_000_000))
    assert read_last_success(home) == 1_650_000_000


# --- engine state --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(EngineState(), id="defaults"),
        pytest.param(EngineState(last_warning_notice=1_700_000_000.5), id="notice"),
        pytest.param(EngineState(unlock_needed=True), id="unlock"),
        pytest.param(
            EngineState(
                last_warning_notice=1_700_000_000, unlock_needed=True, extra={"k": [1, "x", None]}
            ),
            id="everything",
        ),
    ],
)
def test_engine_state_round_trip(home: Home, state: EngineState) -> None:
    write_engine_state(home, state)
    assert read_engine_state(home) == state
    assert leftovers(home.root) == []


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
def test_engine_state_file_is_private(home: Home) -> None:
    write_engine_state(home, EngineState())
    assert stat.S_IMODE(home.state_json.stat().st_mode) == 0o600


def test_engine_state_absent_is_defaults_without_unlock(home: Home) -> None:
    assert read_engine_state(home) == EngineState()


def test_engine_state_non_object_extra_ignored(home: Home) -> None:
    home.state_json.write_text('{"last_warning_notice": 5, "extra": [1, 2]}', encoding="utf-8")
    assert read_engine_state(home) == EngineState(last_warning_notice=5)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"{", id="truncated"),
        pytest.param(b"", id="empty"),
        pytest.param(b"garbage", id="garbage"),
        pytest.param(b"\x00" * 512, id="zero-filled"),
        pytest.param(b"[]", id="list"),
        pytest.param(b'"state"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(b'{"last_warning_notice": "yesterday"}', id="notice-string"),
        pytest.param(b'{"last_warning_notice": true}', id="notice-bool"),
        pytest.param(b'{"last_warning_notice": [1]}', id="notice-list"),
        pytest.param(b'{"unlock_needed": "no"}', id="unlock-string"),
        pytest.param(b'{"unlock_needed": 0}', id="unlock-int"),
        pytest.param(b'{"unlock_needed": null}', id="unlock-null"),
    ],
)
def test_engine_state_damaged_gives_defaults_with_unlock(home: Home, content: bytes) -> None:
    home.state_json.write_bytes(content)
    assert read_engine_state(home) == EngineState(unlock_needed=True)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"\xff\xfe\x80garbage\x81", id="not-utf8"),
        pytest.param(
            b'{"unlock_needed": false, "_": "' + b"x" * MAX_STATE_BYTES + b'"}', id="huge"
        ),
    ],
)
def test_engine_state_unreadable_garbage_gives_unlock(home: Home, content: bytes) -> None:
    home.state_json.write_bytes(content)
    assert read_engine_state(home) == EngineState(unlock_needed=True)


def test_engine_state_deeply_nested_garbage_does_not_raise(home: Home) -> None:
    home.state_json.write_bytes(b"[" * 50_000)
    assert read_engine_state(home) == EngineState(unlock_needed=True)


# --- run history ---------------------------------------------------------------------------------


def test_history_start_update_recent(home: Home) -> None:
    h = History(home.history_db)
    first = h.start(1000.0, "idle")
    second = h.start(2000.0, "manual")
    assert second > first
    h.update(
        first,
        ended=1500.0,
        exit_code=0,
        outcome="success",
        counted_success=True,
        snapshot_id="abc",
        files_new=3,
        data_added=1024,
        duration=500.0,
    )
    newest, oldest = h.recent()
    assert (newest.id, newest.started, newest.trigger, newest.ended) == (
        second,
        2000.0,
        "manual",
        None,
    )
    assert newest.counted_success is False
    assert oldest == RunRecord(
        id=first,
        started=1000.0,
        ended=1500.0,
        trigger="idle",
        exit_code=0,
        outcome="success",
        counted_success=True,
        snapshot_id="abc",
        files_new=3,
        data_added=1024,
        duration=500.0,
    )
    assert oldest.counted_success is True


def test_history_persists_across_instances(home: Home) -> None:
    h = History(home.history_db)
    run = h.start(1000.0, "idle")
    h.update(run, ended=1001.0, outcome="failed", reason="wrong_password", message="Wrong.")
    (again,) = History(home.history_db).recent()
    assert (again.id, again.outcome, again.reason, again.message) == (
        run,
        "failed",
        "wrong_password",
        "Wrong.",
    )


def test_history_creates_missing_folder(tmp_path: Path) -> None:
    h = History(tmp_path / "new" / "folder" / "history.sqlite3")
    assert h.start(1.0, "idle") == 1
    assert len(h.recent()) == 1


def test_history_update_unknown_field_refused_and_nothing_changed(home: Home) -> None:
    h = History(home.history_db)
    run = h.start(1000.0, "idle")
    fields: dict[str, Any] = {"outcome": "failed", "bogus": 1}
    with pytest.raises(ValueError, match="bogus"):
        h.update(run, **fields)
    assert h.recent()[0].outcome is None


def test_history_update_without_fields_is_noop(home: Home) -> None:
    h = History(home.history_db)
    run = h.start(1000.0, "idle")
    h.update(run)
    assert h.recent()[0] == RunRecord(id=run, started=1000.0, ended=None, trigger="idle")


def test_history_recent_is_newest_first_and_limited(home: Home) -> None:
    h = History(home.history_db)
    ids = [h.start(float(i), "idle") for i in range(30)]
    assert [r.id for r in h.recent()] == ids[::-1]
    assert [r.id for r in h.recent(5)] == ids[::-1][:5]


def test_history_unfinished_and_last_finished(home: Home) -> None:
    h = History(home.history_db)
    a = h.start(1.0, "idle")
    b = h.start(2.0, "idle")
    c = h.start(3.0, "manual")
    h.update(a, ended=1.5, outcome="failed")
    h.update(b, ended=2.5, outcome="success", counted_success=True)
    assert [r.id for r in h.unfinished()] == [c]
    last = last_finished(h.recent(20))
    assert last is not None
    assert last.id == b
    h.update(c, ended=3.5, outcome="interrupted")
    assert h.unfinished() == []
    last = last_finished(h.recent(20))
    assert last is not None
    assert last.id == c


def test_history_empty(home: Home) -> None:
    h = History(home.history_db)
    assert h.recent() == []
    assert h.unfinished() == []
    assert last_finished(h.recent(20)) is None


def test_run_record_to_json_uses_iso_times() -> None:
    rec = RunRecord(id=1, started=EPOCH_2030_UTC, ended=None, trigger="idle")
    data = rec.to_json()
    assert data["started"] == to_iso(EPOCH_2030_UTC)
    assert data["ended"] is None
    assert data["trigger"] == "idle"


# --- consecutive_failures ------------------------------------------------------------------------


def rec(
    outcome: str | None, trigger: str = "idle", *, counted: bool = False, ended: bool = True
) -> RunRecord:
    return RunRecord(
        id=0,
        started=1.0,
        ended=2.0 if ended else None,
        trigger=trigger,
        outcome=outcome,
        counted_success=counted,
    )


FAILED = rec("failed")
ERROR = rec("error")
INCOMPLETE = rec("incomplete")
INTERRUPTED = rec("interrupted")
SUCCESS = rec("success", counted=True)
RUNNING = rec(None, ended=False)


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        pytest.param([], 0, id="no-history"),
        pytest.param([SUCCESS], 0, id="last-succeeded"),
        pytest.param([FAILED], 1, id="one-failure"),
        pytest.param([FAILED, ERROR, INCOMPLETE], 3, id="failed-error-incomplete-all-count"),
        pytest.param([FAILED, SUCCESS, FAILED, FAILED], 1, id="stops-at-success"),
        pytest.param([FAILED, FAILED, SUCCESS], 2, id="two-since-success"),
        pytest.param([SUCCESS, FAILED, FAILED], 0, id="success-newest"),
        pytest.param([FAILED, rec("failed", "manual"), FAILED], 1, id="manual-failure-resets"),
        pytest.param([rec("failed", "manual"), FAILED], 0, id="manual-newest-resets"),
        pytest.param([FAILED, rec("success", "manual", counted=True), FAILED], 1, id="manual-ok"),
        pytest.param([INTERRUPTED], 0, id="interrupted-alone"),
        pytest.param([INTERRUPTED, FAILED, INTERRUPTED, FAILED], 2, id="interrupted-ignored"),
        pytest.param([FAILED, INTERRUPTED, SUCCESS, FAILED], 1, id="interrupted-no-reset"),
        pytest.param([RUNNING, FAILED, FAILED], 2, id="unfinished-skipped"),
        pytest.param(
            [rec("failed", "manual", ended=False), FAILED], 1, id="unfinished-manual-no-reset"
        ),
        pytest.param([rec("incomplete", counted=True), FAILED], 0, id="incomplete-counted-ok"),
        pytest.param([rec(None), FAILED], 1, id="finished-without-outcome-ignored"),
        pytest.param([FAILED] * 25, 25, id="many"),
    ],
)
def test_consecutive_failures_table(records: list[RunRecord], expected: int) -> None:
    assert consecutive_failures(records) == expected


def test_consecutive_failures_from_real_history(home: Home) -> None:
    h = History(home.history_db)
    for i, (outcome, counted) in enumerate(
        [("success", True), ("failed", False), ("interrupted", False), ("error", False)]
    ):
        run = h.start(float(i), "idle")
        h.update(run, ended=float(i) + 0.5, outcome=outcome, counted_success=counted)
    h.start(10.0, "idle")  # still running
    assert consecutive_failures(h.recent()) == 2


# --- damaged history database ------------------------------------------------------------------


def corrupt_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("history.sqlite3.corrupt-"))


GARBAGE = [
    pytest.param(b"this is not a database\n" * 200, id="text"),
    pytest.param(bytes(range(256)) * 32, id="binary"),
    pytest.param(b"\x00" * 8192, id="zero-filled"),
    pytest.param(b"SQLite format 3\x00" + b"\xa5" * 8192, id="header-then-garbage"),
    pytest.param(b"SQL", id="tiny"),
]


@pytest.mark.parametrize("garbage", GARBAGE)
@pytest.mark.parametrize("first_call", ["recent", "start"])
def test_history_corrupt_file_moved_aside_and_fresh_db_works(
    home: Home, garbage: bytes, first_call: str
) -> None:
    home.history_db.write_bytes(garbage)
    h = History(home.history_db)
    if first_call == "recent":
        assert h.recent() == []
        run = h.start(5.0, "idle")
    else:
        run = h.start(5.0, "idle")
    h.update(run, ended=6.0, outcome="failed")
    (only,) = h.recent()
    assert (only.id, only.outcome) == (run, "failed")
    (aside,) = corrupt_files(home.root)
    assert CORRUPT_NAME.match(aside.name), aside.name
    assert aside.read_bytes() == garbage
    assert History(home.history_db).recent()[0].id == run


def test_history_damaged_while_in_use_recovers(home: Home) -> None:
    h = History(home.history_db)
    for i in range(200):
        h.start(float(i), "idle")
    data = bytearray(home.history_db.read_bytes())
    data[:100] = b"garbage!" * 12 + b"junk"
    home.history_db.write_bytes(bytes(data))
    assert h.recent() == []
    run = h.start(1.0, "manual")
    assert [r.id for r in h.recent()] == [run]
    assert len(corrupt_files(home.root)) == 1


def test_history_corrupt_file_logged(home: Home, caplog: pytest.LogCaptureFixture) -> None:
    home.history_db.write_bytes(b"garbage" * 100)
    with caplog.at_level(logging.ERROR, logger="restic_monitor.state"):
        History(home.history_db).recent()
    assert any("damaged" in r.getMessage() for r in caplog.records)


def test_history_locked_database_is_not_moved_aside(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = History(home.history_db)
    run = h.start(1.0, "idle")
    real_connect = sqlite3.connect

    def quick_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs["timeout"] = 0.05  # instead of waiting 10 s for the lock
        conn: sqlite3.Connection = real_connect(*args, **kwargs)
        return conn

    other = real_connect(home.history_db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        monkeypatch.setattr(sqlite3, "connect", quick_connect)
        History(home.history_db).recent()
    finally:
        other.execute("ROLLBACK")
        other.close()
        monkeypatch.undo()
    assert corrupt_files(home.root) == []
    assert [r.id for r in History(home.history_db).recent()] == [run]


def test_a_folder_in_place_of_the_marker_is_no_last_success(home: Home) -> None:
    home.marker.mkdir(parents=True)

    assert read_last_success(home) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "sftp:backup@planted-nas.example:/srv/restic",
            "ssh: Could not resolve hostname planted-nas.example: Name or service not known",
        ),
        ("rest:https://127.0.0.1:8000/planted-repo/", "Fatal: planted-repo/config: 404 Not Found"),
        ("s3:s3.amazonaws.com/planted-bucket", "The specified bucket planted-bucket is missing"),
    ],
)
def test_the_parts_of_a_remote_location_that_restic_prints_alone_are_masked(
    value: str, message: str
) -> None:
    from restic_monitor.restic.masking import Redactor

    masked = Redactor([value]).text(message)

    assert "planted" not in masked and "***" in masked
    assert Redactor([value]).text("18000 files, 8000 new") == "18000 files, 8000 new"


def _first_release_db(path: Path) -> None:
    first_release_history(
        path,
        [{"started": 1000.0 + i, "ended": 1001.0 + i, "trigger": "idle", "outcome": "ok"}
         for i in range(3)],
    )  # fmt: skip


def test_two_processes_opening_a_first_release_history_at_once_both_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The monitor and a `status` may open an old database together. Here the other one
    migrates at the worst moment for us (after we looked, before we changed anything):
    we must find the work done, not fail on a duplicate column and show no history."""
    db = tmp_path / "history.sqlite3"
    _first_release_db(db)
    other = History(db)
    real_connect = sqlite3.connect
    interleaved: list[str] = []

    class Interleaving(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:  # type: ignore[override]
            if sql.startswith(("BEGIN", "ALTER")) and not interleaved:
                interleaved.append(sql)
                assert len(other.recent(10)) == 3  # the other process, migrating first
            return super().execute(sql, *args)

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return real_connect(*args, factory=Interleaving, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    mine = History(db)

    assert len(mine.recent(10)) == 3, mine.problem
    assert interleaved
    assert {(r.kind, r.profile) for r in mine.recent(10)} == {("backup", "default")}


def test_a_current_history_that_cannot_be_written_can_still_be_read(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    History(db).start(1000.0, "manual")
    db.chmod(0o444)
    tmp_path.chmod(0o555)  # (root ignores permissions: then this proves nothing new)
    try:
        assert len(History(db).recent(10)) == 1
    finally:
        tmp_path.chmod(0o755)
        db.chmod(0o644)


def test_a_history_missing_a_column_gains_it_whatever_version_it_claims(tmp_path: Path) -> None:
    """A database that says it is current but lacks a column (an interrupted migration, a
    development build) is completed, never left failing every read."""
    import sqlite3

    db = tmp_path / "history.sqlite3"
    _first_release_db(db)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 3")
    conn.close()

    records = History(db).recent(10)

    assert len(records) == 3 and records[0].snapshots_copied is None
    assert History(db).problem is None
