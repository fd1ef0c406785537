"""Repository maintenance against real repositories: forget, prune and check end to end."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from restic_monitor.paths import Home

from .conftest import (
    DaemonProcess,
    Repo,
    cli,
    restored_path,
    same_tree,
    start_daemon,
    wait_until,
    write_config,
)


def settings(repo: Repo, sample: Path, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "restic_exe": repo.exe,
        "args": ["backup", str(sample)],
        "min_idle_seconds": 5,
        "min_seconds_between_backups": 86400,
        "forget_args": ["--keep-last", "2"],
        "check_every_seconds": 0,
    }
    values.update(extra)
    return values


def history(home: Home, *args: str) -> list[dict[str, Any]]:
    result = cli(home, "history", "--json", "--limit", "100", *args)
    assert result.returncode == 0, result.stderr
    runs: list[dict[str, Any]] = json.loads(result.stdout)
    return runs


def _status(home: Home) -> dict[str, Any]:
    status: dict[str, Any] = json.loads(cli(home, "status", "--json").stdout)
    return status


def repository_bytes(repo: Repo) -> int:
    return sum(p.stat().st_size for p in (repo.path / "data").rglob("*") if p.is_file())


def no_two_at_once(runs: list[dict[str, Any]]) -> None:
    spans = sorted((r["started"], r["ended"]) for r in runs if r["ended"] is not None)
    for (_s1, e1), (s2, _e2) in itertools.pairwise(spans):
        assert e1 <= s2, f"two restic jobs overlapped: {spans}"


def test_the_daemon_applies_the_policy_when_due_frees_space_and_keeps_the_newest(
    home: Home, repo: Repo, sample: Path, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    write_config(home, settings(repo, sample), repo.env)
    for i in range(4):
        (sample / "docs" / "a.txt").write_text(f"version {i}\n" + os.urandom(40_000).hex())
        assert cli(home, "backup").returncode == 0
    before = repository_bytes(repo)
    newest = sorted(repo.snapshots(), key=lambda s: s["time"])[-2:]
    assert len(repo.snapshots()) == 4

    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    daemon.set_idle(30)  # away: no backup is due (a day apart), but forget and prune are
    wait_until(lambda: [r["outcome"] for r in history(home, "--kind", "prune")] == ["success"], 90)

    assert sorted(s["id"] for s in repo.snapshots()) == sorted(s["id"] for s in newest)
    forget = history(home, "--kind", "forget")[0]
    assert (forget["snapshots_kept"], forget["snapshots_removed"]) == (2, 2)
    prune = history(home, "--kind", "prune")[0]
    assert prune["bytes_freed"] and prune["bytes_freed"] > 0
    assert repository_bytes(repo) < before
    target = tmp_path / "restore"
    repo.run("restore", "latest", "--target", str(target))
    assert same_tree(sample, restored_path(target, sample))
    repo.run("check")
    status = daemon.status()["profiles"][0]["maintenance"]
    assert status["forget"]["last"]["outcome"] == "success"
    assert status["prune"]["next_due"] is not None
    no_two_at_once(history(home))


def _damage_a_pack(repo: Repo) -> None:
    pack = max((p for p in (repo.path / "data").rglob("*") if p.is_file()), key=os.path.getsize)
    pack.chmod(0o644)
    data = bytearray(pack.read_bytes())
    for offset in (100, len(data) // 2):
        data[offset] ^= 0xFF
    pack.write_bytes(bytes(data))


def test_a_damaged_pack_fails_the_scheduled_check_and_check_full_with_a_red_status(
    home: Home, repo: Repo, sample: Path, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    write_config(
        home,
        settings(
            repo, sample, forget_args=[], check_every_seconds=3600, check_args=["--read-data"]
        ),
        repo.env,
    )
    assert cli(home, "backup").returncode == 0
    _damage_a_pack(repo)

    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    daemon.set_idle(30)
    wait_until(lambda: (runs := history(home, "--kind", "check")) and runs[0]["ended"], 60)
    check = history(home, "--kind", "check")[0]
    assert (check["outcome"], check["reason"]) == ("failed", "check_errors")
    assert check["errors_found"] and check["errors_found"] >= 1
    status = daemon.status()
    assert status["profiles"][0]["check_errors"] is True
    assert "Repository check found errors" in home.app_log.read_text()

    result = cli(home, "check", "--full")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "restic check failed" in result.stdout and "found errors" in result.stdout
    assert repo.locks() == []


def test_a_backup_asked_for_during_a_prune_waits_for_it_and_then_runs(
    home: Home, repo: Repo, sample: Path, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    # A half-used pack that --max-unused 0 must repack, read at 1 MB/s: a prune of seconds.
    slow_prune = ["--max-unused", "0", "--limit-download", "1000"]
    write_config(
        home,
        settings(repo, sample, forget_args=["--keep-last", "1"], prune_args=slow_prune),
        repo.env,
    )
    (sample / "a.bin").write_bytes(os.urandom(3_000_000))
    (sample / "b.bin").write_bytes(os.urandom(3_000_000))
    assert cli(home, "backup").returncode == 0
    (sample / "b.bin").unlink()
    assert cli(home, "backup").returncode == 0
    assert cli(home, "forget").returncode == 0
    daemons.append(start_daemon(home, tmp_path / "idle"))

    assert cli(home, "prune", "--no-wait").returncode == 0
    wait_until(lambda: (_status(home)["current_job"] or {}).get("kind") == "prune", timeout=20)
    result = cli(home, "backup")

    assert result.returncode == 0, result.stdout + result.stderr
    runs = history(home)
    prune = next(r for r in runs if r["kind"] == "prune")
    backup = next(r for r in runs if r["kind"] == "backup")
    assert prune["outcome"] == "success" and backup["started"] >= prune["ended"]
    assert prune["ended"] > prune["started"], "the prune should have taken a while"
    no_two_at_once(runs)
    repo.run("check")


def test_a_mirror_receives_the_new_snapshot_and_restores_identical(
    home: Home, repo: Repo, sample: Path, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    mirror_path = tmp_path / "mirror"
    usb_env = {"RESTIC_REPOSITORY": str(mirror_path), "RESTIC_PASSWORD": "another-passw0rd"}
    mirror = Repo(mirror_path, "another-passw0rd", repo.exe, usb_env)
    mirror.run("init")  # a repository of its own, with a password of its own
    write_config(home, settings(repo, sample, forget_args=[], copy_to_profile="usb"), repo.env)
    quiet = settings(repo, sample, forget_args=[], min_idle_seconds=10 * 86400)  # only a mirror
    write_config(home.profile("usb"), quiet, usb_env)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)

    assert cli(home, "backup", "--profile", "default").returncode == 0
    daemon.set_idle(30)
    wait_until(lambda: (runs := history(home, "--kind", "copy")) and runs[0]["ended"], 60)

    copy = history(home, "--kind", "copy")[0]
    assert (copy["outcome"], copy["snapshots_copied"]) == ("success", 1), copy
    assert [s["tree"] for s in mirror.snapshots()] == [s["tree"] for s in repo.snapshots()]
    target = tmp_path / "restore"
    mirror.run("restore", "latest", "--target", str(target))
    assert same_tree(sample, restored_path(target, sample))
    log = (home.logs / "restic-copy.log").read_text()
    assert "another-passw0rd" not in log and repo.password not in log
    status = daemon.status()["profiles"][0]
    assert status["mirror"]["to"] == "usb" and status["mirror"]["behind"] is False
