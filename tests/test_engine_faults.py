"""The engine against a misbehaving restic process: hangs, ignored signals, floods, races.

These run the real engine thread and the real runner with the fake restic
(tests/fake_restic.py); how outcomes are judged and scheduled is tested
deterministically in test_engine.py and test_engine_outcomes.py.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from restic_monitor.engine.errors import EngineError
from restic_monitor.engine.host import Engine
from restic_monitor.notify import Notice
from restic_monitor.paths import Home
from restic_monitor.platform.idle import FileIdle
from restic_monitor.state.files import (
    EngineState,
    read_engine_state,
    write_engine_state,
)
from restic_monitor.state.history import History, RunRecord

from .conftest import SECRET, FakeRestic, files_containing, wait_until, write_config


class Recorder:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)

    def kinds(self) -> list[str]:
        return [n.kind for n in self.notices]


class Rig:
    """An engine on a temp home with the fake restic and a file idle source."""

    def __init__(self, home: Home, fake: FakeRestic, idle_file: Path) -> None:
        self.home = home
        self.fake = fake
        self.idle_file = idle_file
        self.notifier = Recorder()
        self.engine: Engine | None = None

    def configure(self, **settings: Any) -> None:
        base: dict[str, Any] = {
            "restic_exe": str(self.fake.exe),
            "args": ["backup", "/data"],
            "min_idle_seconds": 1,
            "min_seconds_between_backups": 0,
            "no_backup_warning_seconds": 3600,
            # A niced fake starves on a loaded machine and misses the stop deadlines these
            # tests are about; the one test of the nicing sets it back.
            "low_priority": False,
        }
        base.update(settings)
        write_config(self.home, base, {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET})

    def idle(self, seconds: float) -> None:
        tmp = self.idle_file.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_text(str(seconds))
        tmp.replace(self.idle_file)
        if self.engine is not None:
            self.engine.wake()

    def start(self, automatic: bool = True) -> Engine:
        self.engine = Engine(
            self.home,
            FileIdle(self.idle_file),
            notifier=self.notifier,
            kill_after=1.5,
            automatic=automatic,
        )
        self.engine.start()
        return self.engine

    def status(self) -> dict[str, Any]:
        assert self.engine is not None
        return self.engine.status().to_json()

    def wait_finished_runs(self, count: int, timeout: float = 20) -> list[RunRecord]:
        def done() -> list[RunRecord] | None:
            records = [r for r in self.engine_history() if r.ended is not None]
            return records if len(records) >= count else None

        result: list[RunRecord] = wait_until(done, timeout=timeout)
        return result

    def engine_history(self) -> list[RunRecord]:
        return History(self.home.history_db).recent(100)

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.shutdown(timeout=20)


@pytest.fixture
def rig(home: Home, fake_restic: FakeRestic, tmp_path: Path) -> Iterator[Rig]:
    r = Rig(home, fake_restic, tmp_path / "idle")
    r.idle(0)
    r.configure()
    yield r
    r.stop()


def test_restic_that_ignores_sigint_is_killed_after_the_grace_period_and_unlocked(
    rig: Rig,
) -> None:
    rig.fake.plan(sleep=60, ignore_sigint=True)
    engine = rig.start(automatic=False)
    ticket = engine.backup()
    wait_until(lambda: rig.fake.starts() == 1, timeout=15)
    stopped_at = time.monotonic()

    engine.stop()
    record = ticket.wait(20)

    assert 1.0 <= time.monotonic() - stopped_at < 10
    assert record.outcome == "interrupted"
    events = [e[0] for e in rig.fake.events()]
    assert "ignored-sigint" in events
    # A hard kill may leave a lock: restic unlock follows as the next job.
    wait_until(lambda: "unlock" in [e[0] for e in rig.fake.events()], timeout=10)


def test_output_flood_keeps_memory_bounded_and_log_readable(rig: Rig) -> None:
    import tracemalloc

    rig.fake.plan(flood=200_000)
    engine = rig.start(automatic=False)
    tracemalloc.start()
    try:
        record = engine.backup().wait(120)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert record.outcome == "success"
    assert peak < 10 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"
    log = rig.home.last_log.read_text()
    assert log.count("\nnew /data/file-") == 100_000
    assert '"message_type"' not in log


def test_no_two_restic_processes_whatever_the_command_timing(rig: Rig) -> None:
    rig.fake.plan(sleep=0.3)
    engine = rig.start()
    rig.idle(100)
    rng = random.Random(7)
    errors: list[BaseException] = []

    commands: list[Callable[[], object]] = [
        engine.backup,
        engine.stop,
        lambda: engine.pause(0.5),
        engine.resume,
        engine.reload,
        engine.status,
        lambda: rig.idle(rng.choice([0, 100])),
    ]

    def started() -> int:
        return sum(1 for e in rig.fake.events() if e[0] == "start")

    # At least 60 commands per thread, and on until five backups have started: a loaded
    # machine runs fewer backups in the same number of commands, never a different outcome.
    deadline = time.monotonic() + 60

    def hammer(seed: int) -> None:
        local = random.Random(seed)
        done = 0
        while done < 60 or (started() < 5 and time.monotonic() < deadline):
            done += 1
            try:
                local.choice(commands)()
            except EngineError:
                pass
            except BaseException as exc:
                errors.append(exc)
            time.sleep(local.random() * 0.03)

    peak = {"value": 0}
    watching = threading.Event()

    def watch() -> None:
        me = psutil.Process()
        while not watching.is_set():
            try:
                count = sum(
                    1
                    for child in me.children(recursive=True)
                    if str(rig.fake.exe) in " ".join(child.cmdline())
                )
            except psutil.Error:
                continue
            peak["value"] = max(peak["value"], count)
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    engine.resume()
    rig.stop()
    watching.set()
    watcher.join()

    assert errors == []
    runs = rig.engine_history()
    assert len(runs) >= 5, "the hammering must actually start backups"
    assert peak["value"] == 1, f"{peak['value']} restic processes were running at once"
    assert rig.fake.max_concurrent() <= 1
    assert all(r.ended is not None for r in runs)


def test_secrets_never_reach_logs_history_or_status(rig: Rig) -> None:
    rig.fake.plan(exit=1, lines=[f"Fatal: cannot open repository with password {SECRET}"])
    engine = rig.start(automatic=False)

    record = engine.backup().wait(20)

    assert record.outcome == "failed"
    assert SECRET not in str(engine.status())
    assert all(SECRET not in n.body for n in rig.notifier.notices)
    rig.stop()
    assert files_containing(rig.home.logs, SECRET) == []
    assert files_containing(rig.home.root, SECRET) == [rig.home.env_json]
    assert "***" in rig.home.last_log.read_text()


@pytest.mark.parametrize(("low_priority", "extra"), [(True, 10), (False, 0)])
def test_low_priority_runs_restic_niced(rig: Rig, low_priority: bool, extra: int) -> None:
    rig.configure(low_priority=low_priority)
    engine = rig.start(automatic=False)

    engine.backup().wait(20)

    nice = next(e[0] for e in rig.fake.events() if e[0].startswith("nice="))
    assert int(nice.split("=")[1]) == min(os.nice(0) + extra, 19)


def test_each_run_writes_a_new_log_file_so_a_follower_sees_the_change(rig: Rig) -> None:
    rig.fake.plan(exit=1)
    engine = rig.start(automatic=False)
    engine.backup().wait(20)
    with rig.home.last_log.open("rb") as viewer:  # a log viewer following the first run
        first = viewer.read()
        rig.fake.plan(flood=2_000)  # the second run soon outgrows the first
        engine.backup().wait(60)

        assert os.stat(rig.home.last_log).st_ino != os.fstat(viewer.fileno()).st_ino
        viewer.seek(0)
        assert viewer.read() == first  # the first run's log stays whole for its reader
    second = rig.home.last_log.read_text()
    assert second.startswith("# ") and second.count("\nnew /data/file-") == 1_000


def test_shutdown_interrupts_a_slow_unlock_and_leaves_it_for_the_next_start(rig: Rig) -> None:
    write_engine_state(rig.home, EngineState(unlock_needed=True))
    rig.fake.plan(unlock_sleep=60)
    engine = rig.start(automatic=False)
    wait_until(lambda: "unlock" in [e[0] for e in rig.fake.events()], timeout=15)

    began = time.monotonic()
    engine.shutdown(timeout=20)

    assert time.monotonic() - began < 8
    assert not engine.alive
    assert "unlock-interrupted" in [e[0] for e in rig.fake.events()]
    assert read_engine_state(rig.home).unlock_needed is True


def test_stop_reaches_the_unlock_after_a_failed_backup(rig: Rig) -> None:
    rig.fake.plan(exit=1, unlock_sleep=60)
    engine = rig.start(automatic=False)
    ticket = engine.backup()
    wait_until(lambda: "unlock" in [e[0] for e in rig.fake.events()], timeout=15)

    began = time.monotonic()
    assert engine.stop() is True
    record = ticket.wait(20)

    assert record.outcome == "failed"  # what restic said, not what the stop did
    # The ticket is the backup's, which ended before the unlock began: wait for the unlock.
    wait_until(lambda: "unlock-interrupted" in [e[0] for e in rig.fake.events()], timeout=8)
    assert time.monotonic() - began < 8
    wait_until(lambda: read_engine_state(rig.home).unlock_needed, timeout=5)


def test_a_run_without_json_progress_is_never_called_stalled(rig: Rig) -> None:
    rig.configure(progress=False, stall_seconds=1)
    rig.fake.plan(sleep=3)
    engine = rig.start(automatic=False)
    ticket = engine.backup()
    wait_until(lambda: rig.fake.starts() == 1, timeout=10)
    wait_until(lambda: rig.status()["current_run"] is not None, timeout=10)

    current = rig.status()["current_run"]
    # Plain output has no progress to judge: the stall clock never runs for it.
    assert current["seconds_since_progress"] is None and not current["stalled"]
    assert ticket.wait(20).outcome == "success"
    assert not any(n.title == "Backup stalled" for n in rig.notifier.notices)


def test_a_stalled_backup_is_announced_once_soon_after_the_limit(rig: Rig) -> None:
    rig.configure(stall_seconds=1)
    rig.fake.plan(sleep=30)  # the same progress again and again, like a retrying restic
    engine = rig.start(automatic=False)
    engine.backup()
    wait_until(lambda: rig.fake.starts() == 1, timeout=10)
    started = time.monotonic()

    wait_until(lambda: any(n.title == "Backup stalled" for n in rig.notifier.notices), 10)

    assert time.monotonic() - started < 4
    assert rig.status()["current_run"]["stalled"] is True
    engine.stop()
    assert [n.title for n in rig.notifier.notices].count("Backup stalled") == 1


def test_a_bug_while_planning_is_reported_and_retried_not_the_end_of_backups(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = rig.start(automatic=False)
    real_step = engine.scheduler.step
    monkeypatch.setattr(engine.scheduler, "step", lambda: 1 / 0)
    engine.wake()
    wait_until(lambda: any("ZeroDivisionError" in w for w in rig.status()["warnings"]), 10)
    assert engine.alive

    monkeypatch.setattr(engine.scheduler, "step", real_step)
    engine.wake()
    wait_until(lambda: rig.status()["warnings"] == [], timeout=10)
    assert engine.backup().wait(20).outcome == "success"


def test_a_helper_that_outlives_restic_does_not_hold_the_run_open(rig: Rig) -> None:
    rig.fake.plan(helper_sleep=25)
    engine = rig.start(automatic=False)
    began = time.monotonic()

    record = engine.backup().wait(30)

    assert record.outcome == "success"
    assert time.monotonic() - began < 15
    assert record.duration is not None and record.duration < 15


def test_a_failure_notice_carries_the_reason_and_restics_last_lines_masked(rig: Rig) -> None:
    rig.fake.plan(
        exit=1,
        lines=[
            f"Fatal: unable to open repository at /srv/{SECRET}",
            "the last line restic printed",
        ],
    )
    engine = rig.start(automatic=False)

    assert engine.backup().wait(20).outcome == "failed"

    failures = [n for n in rig.notifier.notices if n.kind == "failure"]
    assert [n.title for n in failures] == ["Backup failed"]
    assert "the last line restic printed" in failures[0].body
    assert SECRET not in failures[0].body


def test_quitting_during_a_backup_ends_as_soon_as_restic_has_stopped(
    home: Home, fake_restic: FakeRestic
) -> None:
    """With an idle source that never asks for a look (fixed:, X11), quitting must not wait
    for the engine's next planned look (up to five minutes) after restic has ended."""
    from restic_monitor.platform.idle import FixedIdle

    write_config(
        home,
        {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]},
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    fake_restic.plan(sleep=60)
    engine = Engine(home, FixedIdle(0), kill_after=5)
    engine.start()
    engine.backup()
    wait_until(lambda: fake_restic.starts() == 1, timeout=15)

    began = time.monotonic()
    engine.shutdown(timeout=30)

    assert not engine.alive
    assert time.monotonic() - began < 5
    record = History(home.history_db).recent(5, kind="backup")[0]
    assert record.outcome == "interrupted" and record.ended is not None
