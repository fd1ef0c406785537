"""Getting files back, against real repositories: snapshots, ls, restore, versions, missing.

Each restore is compared byte for byte with what was backed up then; the
target is checked for what must not be there (a staging folder, a replaced
file) and the repository for locks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.paths import Home
from restic_monitor.restore.place import STAGING_PREFIX

from .conftest import (
    DaemonProcess,
    Repo,
    cli,
    cli_env,
    same_tree,
    start_daemon,
    wait_until,
    write_config,
)


def configure(home: Home, repo: Repo, sample: Path, **extra: Any) -> None:
    settings: dict[str, Any] = {
        "restic_exe": repo.exe,
        "args": ["backup", str(sample)],
        "min_idle_seconds": 3600,
        "check_every_seconds": 0,
        **extra,
    }
    write_config(home, settings, repo.env)


def backup(home: Home) -> str:
    """Back up; the new snapshot's full id (the history has the short one up to 0.17)."""
    result = cli(home, "backup")
    assert result.returncode == 0, result.stderr
    runs = json.loads(cli(home, "history", "--json", "--limit", "1").stdout)
    snaps = json.loads(cli(home, "snapshots", "--json").stdout)
    snapshot: str = next(s["id"] for s in snaps if s["id"].startswith(runs[0]["snapshot_id"]))
    return snapshot


def out_json(home: Home, *args: str) -> Any:
    result = cli(home, *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def staging_left(target: Path) -> list[str]:
    return [p.name for p in target.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_snapshots_and_ls_agree_with_restics_own_output(
    home: Home, repo: Repo, sample: Path
) -> None:
    configure(home, repo, sample)
    first = backup(home)
    (sample / "docs" / "new.txt").write_text("later\n")
    second = backup(home)

    snaps = out_json(home, "snapshots")
    theirs = repo.snapshots()
    assert [s["id"] for s in snaps] == [second, first]  # newest first
    assert sorted(s["id"] for s in snaps) == sorted(s["id"] for s in theirs)
    by_id = {s["id"]: s for s in theirs}
    for s in snaps:
        assert s["short_id"] == by_id[s["id"]]["short_id"]
        assert s["paths"] == by_id[s["id"]]["paths"]
        assert s["host"] == by_id[s["id"]]["hostname"]
        assert s["time"][:19] == by_id[s["id"]]["time"][:19]

    folder = f"{sample}/docs"
    entries = out_json(home, "ls", second[:8], folder)
    restic_nodes = [
        json.loads(line)
        for line in repo.run("ls", "--json", second, folder).stdout.splitlines()
        if '"struct_type":"node"' in line
    ]
    children = [n for n in restic_nodes if n["path"] != folder]
    assert sorted(e["path"] for e in entries) == sorted(n["path"] for n in children)
    assert [e["name"] for e in entries] == ["deep", "a.txt", "new.txt"]  # folders first
    assert {e["name"]: e["type"] for e in entries}["deep"] == "dir"
    sizes = {e["name"]: e["size"] for e in entries}
    assert sizes["a.txt"] == (sample / "docs" / "a.txt").stat().st_size
    # The older snapshot has no new.txt; latest is the newer one.
    assert [e["name"] for e in out_json(home, "ls", first, folder)] == ["deep", "a.txt"]
    assert [e["name"] for e in out_json(home, "ls", "latest", folder)][-1] == "new.txt"
    # The top level is one level, not a walk of the whole snapshot.
    top = out_json(home, "ls", "latest")
    assert [e["path"] for e in top] == [f"/{sample.parts[1]}"]

    missing = cli(home, "ls", "latest", f"{sample}/nothing-here")
    assert missing.returncode != 0 and "nothing-here is not in snapshot" in missing.stderr
    unknown = cli(home, "ls", "deadbeef")
    assert unknown.returncode != 0 and "no snapshot 'deadbeef'" in unknown.stderr


def test_a_file_and_a_folder_from_an_older_snapshot_restore_byte_identical_in_place(
    home: Home, repo: Repo, sample: Path, tmp_path: Path
) -> None:
    configure(home, repo, sample)
    then = tmp_path / "then"
    subprocess.run(["cp", "-a", str(sample), str(then)], check=True)
    old = backup(home)
    (sample / "docs" / "a.txt").write_text("changed since\n")
    (sample / "docs" / "deep" / "b.bin").write_bytes(os.urandom(1000))
    backup(home)

    target = tmp_path / "Restored"
    result = cli(
        home, "restore", old[:8], f"{sample}/docs/a.txt", f"{sample}/docs/deep",
        "--target", str(target),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "deep"]  # each under its name
    assert (target / "a.txt").read_bytes() == (then / "docs" / "a.txt").read_bytes()
    assert same_tree(target / "deep", then / "docs" / "deep")
    # Modification times are those of the backed-up files.
    assert int((target / "a.txt").stat().st_mtime) == int((then / "docs" / "a.txt").stat().st_mtime)
    run = json.loads(cli(home, "history", "--json", "--kind", "restore").stdout)[0]
    assert (run["outcome"], run["snapshot_id"], run["restore_target"]) == (
        "success", old, str(target),
    )  # fmt: skip
    assert run["files_restored"] == 2
    assert run["bytes_restored"] == (then / "docs" / "a.txt").stat().st_size + 300_000
    assert "Restore succeeded" in result.stdout and "2 files" in result.stdout

    whole = tmp_path / "Whole"
    assert cli(home, "restore", old, "--target", str(whole)).returncode == 0
    assert same_tree(whole / sample.name, then)  # the backed-up folder under its own name
    assert repo.locks() == []


def test_a_conflicting_target_is_refused_without_writing_then_overwrite_replaces(
    home: Home, repo: Repo, sample: Path, tmp_path: Path
) -> None:
    configure(home, repo, sample)
    snap = backup(home)
    target = tmp_path / "target"
    (target / "docs").mkdir(parents=True)
    mine = target / "docs" / "a.txt"
    mine.write_text("my newer words\n")
    os.utime(mine, (1_700_000_000, 1_700_000_000))
    (target / "docs" / "only-mine.txt").write_text("keep me\n")

    refused = cli(home, "restore", snap, f"{sample}/docs", "--target", str(target))
    assert refused.returncode == 1
    assert f"{mine}" in refused.stderr and "--overwrite" in refused.stderr
    assert mine.read_text() == "my newer words\n"
    assert mine.stat().st_mtime == 1_700_000_000
    assert not (target / "docs" / "deep").exists()  # nothing written, not even new files
    assert staging_left(target) == []
    assert json.loads(cli(home, "history", "--json", "--kind", "restore").stdout) == []

    done = cli(home, "restore", snap, f"{sample}/docs", "--target", str(target), "--overwrite")
    assert done.returncode == 0, done.stderr
    assert mine.read_bytes() == (sample / "docs" / "a.txt").read_bytes()
    assert (target / "docs" / "only-mine.txt").read_text() == "keep me\n"
    assert same_tree(target / "docs" / "deep", sample / "docs" / "deep")
    assert staging_left(target) == []


def test_a_stopped_restore_leaves_a_clean_target_and_no_lock(
    home: Home, repo: Repo, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    big = tmp_path / "big"
    big.mkdir()
    for i in range(4):
        (big / f"part{i}.bin").write_bytes(os.urandom(2_000_000))
    configure(home, repo, big, restore_args=["--limit-download", "400"])
    snap = backup(home)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    target = tmp_path / "target"
    target.mkdir()
    (target / "already.txt").write_text("here before\n")

    restore = subprocess.Popen(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root),
         "restore", snap, str(big), "--target", str(target)],
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def restoring() -> dict[str, Any] | None:
        job = daemon.status().get("current_job")
        return job if job and job["kind"] == "restore" and job["pid"] else None

    job = wait_until(restoring, 60)
    assert job["profile"] == "default"
    time.sleep(1.5)
    assert cli(home, "stop").returncode == 0
    out, err = restore.communicate(timeout=90)
    assert restore.returncode == 130, (out, err)  # interrupted
    assert "Restore interrupted" in out
    assert sorted(p.name for p in target.iterdir()) == ["already.txt"]
    assert (target / "already.txt").read_text() == "here before\n"
    wait_until(lambda: daemon.status().get("current_job") is None, 60)  # unlock included
    assert repo.locks() == []
    run = json.loads(cli(home, "history", "--json", "--kind", "restore").stdout)[0]
    assert run["outcome"] == "interrupted"
    assert "nothing was written" in run["message"]


def test_restore_through_the_instance_waits_for_the_backup_and_reports_progress(
    home: Home, repo: Repo, tmp_path: Path, daemons: list[DaemonProcess]
) -> None:
    big = tmp_path / "big"
    big.mkdir()
    # Several packs (restic writes a file's blobs as each pack arrives: before 0.16 that is
    # the only progress there is), read at 4 MB/s: about 6 s of restore.
    (big / "one.bin").write_bytes(os.urandom(24_000_000))
    configure(home, repo, big, restore_args=["--limit-download", "4000"])
    snap = backup(home)
    daemon = start_daemon(home, tmp_path / "idle")
    daemons.append(daemon)
    target = tmp_path / "target"

    result = cli(home, "restore", snap[:8], str(big), "--target", str(target), "--no-wait")
    assert result.returncode == 0, result.stderr
    seen: list[dict[str, Any]] = []

    def progressed() -> bool:
        job = daemon.status().get("current_job")
        if job and job["kind"] == "restore" and job.get("progress"):
            seen.append(job["progress"])
        # restic 0.16+ says the total at once (and bytes once a pack is in); before, the
        # bytes written into the staging folder are the progress.
        return bool(seen) and bool(seen[-1].get("total_bytes") or seen[-1].get("bytes_done"))

    wait_until(progressed, 60, interval=0.3)
    wait_until(lambda: daemon.status().get("current_job") is None, 60)
    assert same_tree(target / "big", big)
    runs = json.loads(cli(home, "history", "--json").stdout)
    kinds = [r["kind"] for r in runs]
    assert kinds.count("restore") == 1 and runs[0]["outcome"] == "success"


def test_versions_lists_each_distinct_version_and_missing_finds_what_was_deleted(
    home: Home, repo: Repo, sample: Path, tmp_path: Path
) -> None:
    configure(home, repo, sample)
    note = sample / "docs" / "a.txt"
    first = backup(home)
    backup(home)  # unchanged: the same version
    note.write_text("second version, longer\n")
    os.utime(note, (1_750_000_000, 1_750_000_000))
    third = backup(home)

    versions = out_json(home, "versions", str(note))
    assert [(v["snapshot"], v["snapshots"]) for v in versions] == [(third, 1), (first, 2)]
    assert versions[0]["size"] == len("second version, longer\n")
    assert versions[1]["size"] == len("hello restic\n" * 100)
    text = cli(home, "versions", str(note))
    assert "2 versions of" in text.stdout

    note.unlink()
    (sample / "docs" / "deep" / "b.bin").unlink()
    (sample / "docs" / "deep").rmdir()
    gone = out_json(home, "missing", str(sample))
    assert sorted((g["path"], g["type"], g["files"]) for g in gone) == [
        (f"{sample}/docs/a.txt", "file", 1),
        (f"{sample}/docs/deep", "dir", 1),
    ]
    assert {g["snapshot"] for g in gone} == {third}
    text = cli(home, "missing", f"{sample}/docs")
    assert text.returncode == 0 and f"{sample}/docs/a.txt" in text.stdout


def test_find_names_every_snapshot_holding_a_name(home: Home, repo: Repo, sample: Path) -> None:
    configure(home, repo, sample)
    first = backup(home)
    (sample / "docs" / "a.txt").unlink()
    second = backup(home)
    (sample / "docs" / "deep" / "a.txt").write_text("another a\n")
    third = backup(home)

    found = out_json(home, "find", "a.txt")
    assert sorted((m["snapshot"], m["path"]) for m in found) == sorted([
        (first, f"{sample}/docs/a.txt"),
        (third, f"{sample}/docs/deep/a.txt"),
    ])  # fmt: skip
    assert second not in {m["snapshot"] for m in found}
    one = out_json(home, "find", "*.txt", "--snapshot", third[:8])
    assert {m["snapshot"] for m in one} == {third}


def test_mount_serves_the_snapshots_until_unmount(
    home: Home, repo: Repo, sample: Path, tmp_path: Path
) -> None:
    if not os.path.exists("/dev/fuse") and os.environ.get("CI") != "true":
        pytest.skip("no FUSE here")
    configure(home, repo, sample)
    snap = backup(home)
    folder = tmp_path / "mnt"
    proc = subprocess.Popen(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "mount", str(folder)],
        env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: os.path.ismount(folder) or proc.poll() is not None, 60)
        assert proc.poll() is None, proc.communicate()
        latest = folder / "snapshots" / "latest"
        copy = latest / str(sample).lstrip("/")
        assert (copy / "docs" / "a.txt").read_bytes() == (sample / "docs" / "a.txt").read_bytes()
        assert (folder / "ids" / snap[:8]).exists()
        result = cli(home, "unmount")
        assert result.returncode == 0, result.stderr
        proc.wait(30)
        assert not os.path.ismount(folder)
        assert repo.locks() == []
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
