"""Restores without restic: the queue (deterministic engine), the move into place, mounts.

The engine tests play restic's part (tests/engine_rig.py) and write into the
staging folder what restic would have restored, so the whole path from a
queued restore to files in the target runs with no process and no sleep.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from restic_monitor.engine.errors import EngineError
from restic_monitor.jobs.restore import RestoreRequest, include_pattern
from restic_monitor.restic.snapshots import Entry, Match, Snapshot, choose, parse_ls
from restic_monitor.restore import compare, mount, place

from .engine_rig import Rig

SNAP = "a" * 64


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    rig = Rig(tmp_path, automatic=False)
    rig.profile()
    return rig


def request(target: Path, *paths: str, overwrite: bool = False) -> dict[str, object]:
    return RestoreRequest(SNAP, paths or ("/data/docs",), str(target), overwrite).to_json()


def staging_of(rig: Rig) -> Path:
    argv = rig.run.argv
    return Path(argv[argv.index("--target") + 1])


def restic_restores(staging: Path, files: dict[str, bytes]) -> None:
    """What restic does: every item under its whole path below the staging folder."""
    for rel, data in files.items():
        path = staging / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_a_restore_waits_for_the_backup_runs_alone_and_lands_under_its_own_name(
    rig: Rig, tmp_path: Path
) -> None:
    target = tmp_path / "Restored"
    rig.engine.request("backup")
    job, joined = rig.engine.request("restore", None, request(target))
    assert not joined and job.kind == "restore"
    assert rig.run.argv[1] == "backup"  # the restore waits its turn
    assert not target.exists()
    rig.finish(0)

    assert rig.run.argv[1:3] == ("restore", SNAP)
    assert rig.run.argv[-2:] == ("--include", "/data/docs")
    staging = staging_of(rig)
    assert staging.parent == target and staging.name.startswith(place.STAGING_PREFIX)
    restic_restores(staging, {"data/docs/a.txt": b"one", "data/docs/sub/b.txt": b"two"})
    rig.finish(0)

    assert sorted(p.name for p in target.iterdir()) == ["docs"]
    assert (target / "docs" / "a.txt").read_bytes() == b"one"
    assert (target / "docs" / "sub" / "b.txt").read_bytes() == b"two"
    record = rig.runtime().history.recent(1, kind="restore")[0]
    assert (record.outcome, record.files_restored, record.bytes_restored) == ("success", 2, 6)
    assert record.restore_target == str(target)


def test_two_restores_are_two_jobs_never_joined(rig: Rig, tmp_path: Path) -> None:
    first, _ = rig.engine.request("restore", None, request(tmp_path / "one"))
    second, joined = rig.engine.request("restore", None, request(tmp_path / "two"))
    assert first is not second and not joined
    restic_restores(staging_of(rig), {"data/docs/x": b"1"})
    rig.finish(0)
    assert staging_of(rig).parent == tmp_path / "two"
    restic_restores(staging_of(rig), {"data/docs/x": b"2"})
    rig.finish(0)
    assert (tmp_path / "one" / "docs" / "x").read_bytes() == b"1"
    assert (tmp_path / "two" / "docs" / "x").read_bytes() == b"2"


def test_a_failed_or_stopped_restore_leaves_the_target_as_it_was(rig: Rig, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "mine.txt").write_text("mine")
    rig.engine.request("restore", None, request(target))
    restic_restores(staging_of(rig), {"data/docs/half.txt": b"half"})
    rig.engine.stop()
    rig.finish(130)
    assert sorted(p.name for p in target.iterdir()) == ["mine.txt"]
    record = rig.runtime().history.recent(1, kind="restore")[0]
    assert record.outcome == "interrupted" and "nothing was written" in (record.message or "")
    assert rig.run.argv[1] == "unlock"  # a lock it may have left is cleared
    rig.finish(0)

    rig.engine.request("restore", None, request(target))
    restic_restores(staging_of(rig), {"data/docs/half.txt": b"half"})
    rig.finish(1, lines=["Fatal: unable to load snapshot"])
    assert sorted(p.name for p in target.iterdir()) == ["mine.txt"]
    assert rig.notices.titles()[-1] == "Restore failed"


def test_a_conflict_found_after_restic_writes_nothing(rig: Rig, tmp_path: Path) -> None:
    target = tmp_path / "target"
    (target / "docs").mkdir(parents=True)
    (target / "docs" / "a.txt").write_text("newer")
    rig.engine.request("restore", None, request(target))
    restic_restores(staging_of(rig), {"data/docs/a.txt": b"older", "data/docs/new.txt": b"n"})
    rig.finish(0)
    assert (target / "docs" / "a.txt").read_text() == "newer"
    assert sorted(p.name for p in (target / "docs").iterdir()) == ["a.txt"]
    assert [p.name for p in target.iterdir()] == ["docs"]
    record = rig.runtime().history.recent(1, kind="restore")[0]
    assert record.reason == "conflicts" and str(target / "docs" / "a.txt") in (record.message or "")


def test_a_request_is_checked_before_it_is_queued(rig: Rig, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="absolute"):
        RestoreRequest.from_json({"snapshot": SNAP, "paths": ["/a"], "target": "rel"})
    with pytest.raises(ValueError, match="both be restored as docs"):
        RestoreRequest.from_json(request(tmp_path, "/a/docs", "/b/docs"))
    with pytest.raises(ValueError, match="paths"):
        RestoreRequest.from_json({"snapshot": SNAP, "paths": [], "target": str(tmp_path)})
    assert include_pattern("/data/a[1]*.txt") == "/data/a\\[1\\]\\*.txt"
    with pytest.raises(EngineError):
        rig.engine.request("restore", "nosuch", request(tmp_path))


def test_overwrite_replaces_files_one_by_one_and_keeps_the_targets_own(tmp_path: Path) -> None:
    staging, target = tmp_path / "staging", tmp_path / "target"
    restic_restores(staging, {"d/docs/a.txt": b"restored", "d/docs/sub/b.txt": b"b"})
    (target / "docs").mkdir(parents=True)
    (target / "docs" / "a.txt").write_bytes(b"old")
    (target / "docs" / "extra.txt").write_bytes(b"extra")
    with pytest.raises(place.Conflicts) as refused:
        place.place(staging, ["/d/docs"], target, overwrite=False)
    assert refused.value.paths == [target / "docs" / "a.txt"]
    assert (target / "docs" / "a.txt").read_bytes() == b"old"

    placed = place.place(staging, ["/d/docs"], target, overwrite=True)
    assert (placed.files, placed.bytes) == (2, 9)
    assert (target / "docs" / "a.txt").read_bytes() == b"restored"
    assert (target / "docs" / "extra.txt").read_bytes() == b"extra"
    assert (target / "docs" / "sub" / "b.txt").read_bytes() == b"b"


def test_a_file_never_replaces_a_folder_even_with_overwrite(tmp_path: Path) -> None:
    staging, target = tmp_path / "staging", tmp_path / "target"
    restic_restores(staging, {"d/x/report": b"a file now", "d/x/ok.txt": b"ok"})
    (target / "x" / "report").mkdir(parents=True)
    (target / "x" / "report" / "inside.txt").write_text("kept")
    with pytest.raises(IsADirectoryError, match="Nothing was written"):
        place.place(staging, ["/d/x"], target, overwrite=True)
    assert (target / "x" / "report" / "inside.txt").read_text() == "kept"
    assert not (target / "x" / "ok.txt").exists()


def test_a_staging_folder_of_a_dead_monitor_is_removed_its_own_kept(tmp_path: Path) -> None:
    target = tmp_path / "t"
    stale = target / f"{place.STAGING_PREFIX}999999999-x"
    stale.mkdir(parents=True)
    live = place.make_staging(target)
    assert not stale.exists() and live.exists()
    again = place.make_staging(target)
    assert live.exists() and again.exists()


def test_ls_parsing_skips_the_folders_own_node_and_sorts_folders_first() -> None:
    lines = [
        '{"time":"2026-01-01T00:00:00.123456789Z","paths":["/d"],"hostname":"h","id":"'
        + SNAP + '","short_id":"aaaaaaaa","struct_type":"snapshot"}',
        '{"name":"d","type":"dir","path":"/d","mtime":"2026-01-01T00:00:00Z","struct_type":"node"}',
        '{"name":"b.txt","type":"file","path":"/d/b.txt","size":3,"mtime":"2026-01-01T00:00:00Z",'
        '"struct_type":"node"}',
        '{"name":"Z","type":"dir","path":"/d/Z","mtime":"2026-01-01T00:00:00Z",'
        '"message_type":"node","struct_type":"node"}',
        '{"name":"a","type":"symlink","path":"/d/a","mtime":"2026-01-01T00:00:00Z",'
        '"struct_type":"node"}',
        '{"name":"p","type":"fifo","path":"/d/p","mtime":"2026-01-01T00:00:00Z",'
        '"struct_type":"node"}',
    ]  # fmt: skip
    listing = parse_ls(lines, "/d")
    assert listing.snapshot is not None and listing.snapshot.time == "2026-01-01T00:00:00.123456Z"
    assert [(e.name, e.type) for e in listing.entries] == [
        ("Z", "dir"), ("a", "symlink"), ("b.txt", "file"), ("p", "other"),
    ]  # fmt: skip
    assert listing.folder_found
    assert not parse_ls(lines[:1], "/elsewhere").folder_found


def _snap(sid: str, when: str) -> Snapshot:
    return Snapshot(sid, sid[:8], when, "h", ("/d",))


def test_choosing_a_snapshot_by_id_start_or_latest() -> None:
    newer, older = "bbbb1" + "0" * 59, "bbbb2" + "0" * 59
    snaps = [_snap(newer, "2026-01-02T00:00:00Z"), _snap(older, "2026-01-01T00:00:00Z")]
    assert choose(snaps, "latest").id == newer
    assert choose(snaps, "bbbb2").id == older
    assert choose(snaps, older).id == older
    with pytest.raises(LookupError, match="start of 2 snapshot ids"):
        choose(snaps, "bbbb")
    with pytest.raises(LookupError, match="no snapshot 'bbb'"):
        choose(snaps, "bbb")  # too short to be an id's start
    with pytest.raises(LookupError, match="no snapshots yet"):
        choose([], "latest")


def test_versions_fold_unchanged_snapshots_and_keep_a_change_back() -> None:
    snaps = [_snap(c * 64, f"2026-01-0{i}T00:00:00Z") for i, c in enumerate("abcd", 1)]

    def at(sid: str, size: int, mtime: str) -> Match:
        return Match(sid * 64, Entry("f", "file", "/d/f", size, mtime))

    matches = [at("a", 1, "m1"), at("b", 1, "m1"), at("c", 2, "m2"), at("d", 1, "m1")]
    found = compare.versions(matches, snaps, "/d/f")
    assert [(v.first.id[0], v.last.id[0], v.snapshots) for v in found] == [
        ("d", "d", 1), ("c", "c", 1), ("a", "b", 2),
    ]  # fmt: skip


def test_missing_reports_a_gone_folder_once_with_what_it_held() -> None:
    def e(path: str, kind: str = "file", size: int = 1) -> Entry:
        return Entry(path.rsplit("/", 1)[-1], kind, path, size if kind == "file" else None, "")

    walk = [
        e("/h/docs", "dir"), e("/h/docs/a"), e("/h/docs/old", "dir"), e("/h/docs/old/x", size=5),
        e("/h/docs/old/in", "dir"), e("/h/docs/old/in/y", size=7), e("/h/docs/z"),
    ]  # fmt: skip
    on_disk = {"/h/docs", "/h/docs/a"}
    gone = compare.missing(walk, exists=lambda p: p in on_disk)
    assert [(m.entry.path, m.files, m.bytes) for m in gone] == [
        ("/h/docs/old", 2, 12), ("/h/docs/z", 1, 1),
    ]  # fmt: skip


def test_no_fuse_is_a_sentence_saying_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    if os.name == "nt":
        assert "Windows" in (mount.fuse_problem() or "")
        return
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(os.path, "exists", lambda p: p == "/dev/fuse")
    monkeypatch.setattr(sys, "platform", "linux")
    assert "install fuse3" in (mount.fuse_problem() or "")
    monkeypatch.setattr(os.path, "exists", lambda p: False)
    assert "/dev/fuse is missing" in (mount.fuse_problem() or "")
    monkeypatch.setattr(sys, "platform", "darwin")
    assert "macFUSE" in (mount.fuse_problem() or "")
