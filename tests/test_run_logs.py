"""Each run's own restic log is kept for the history, the newest keep_run_logs of them."""

from __future__ import annotations

import json
from pathlib import Path

from restic_monitor.paths import Home
from restic_monitor.state.run_logs import find_run_log, keep_run_log, prune_run_logs

from .conftest import SECRET, FakeRestic, cli, write_config


def test_every_run_keeps_its_own_log_and_only_the_newest_are_kept(
    home: Home, fake_restic: FakeRestic
) -> None:
    write_config(
        home,
        {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"], "keep_run_logs": 2},
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    for n in range(3):
        fake_restic.plan(exit=1 if n == 1 else 0, lines=[f"output of run {n}"])
        cli(home, "backup")

    runs = json.loads(cli(home, "history", "--json").stdout)
    ids = [r["id"] for r in runs if r["kind"] == "backup"]
    assert len(ids) == 3
    newest, middle, oldest = ids
    assert find_run_log(home.logs, oldest) is None, "beyond keep_run_logs"
    kept_middle = find_run_log(home.logs, middle)
    kept_newest = find_run_log(home.logs, newest)
    assert kept_middle is not None and kept_newest is not None
    assert "output of run 1" in kept_middle.read_text()
    assert "output of run 2" in kept_newest.read_text()
    assert "output of run 1" not in home.last_log.read_text(), "the last log is the last run's"
    assert SECRET not in kept_middle.read_text()


def test_a_run_that_never_started_restic_keeps_no_older_runs_log(
    home: Home, fake_restic: FakeRestic
) -> None:
    write_config(
        home,
        {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]},
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    fake_restic.plan(exit=0, lines=["the first run"])
    cli(home, "backup")
    settings = json.loads(home.settings_json.read_text())
    write_config(
        home,
        {**settings, "restic_exe": str(home.root / "no-such-restic")},
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    cli(home, "backup")

    runs = json.loads(cli(home, "history", "--json").stdout)
    assert runs[0]["outcome"] in ("error", "failed")
    assert find_run_log(home.logs, runs[0]["id"]) is None
    assert find_run_log(home.logs, runs[1]["id"]) is not None


def test_keep_zero_keeps_none_and_removes_the_kept(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    source = tmp_path / "restic-last.log"
    for run_id in (1, 2, 3):
        source.unlink(missing_ok=True)
        source.write_text(f"run {run_id}\n")
        keep_run_log(source, logs, run_id, "backup", keep=5)
    assert find_run_log(logs, 1) is not None
    assert [p.name for p in prune_run_logs(logs / "runs", 2)] == ["00000001-backup.log"]

    assert keep_run_log(source, logs, 4, "backup", keep=0) is None
    assert list((logs / "runs").iterdir()) == []
