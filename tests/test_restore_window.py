"""The Restore files… window against a real repository (Qt offscreen, the real restic).

It lists the snapshots, opens the way down a snapshot's lone top folders on
its own, lists a folder when it is opened, previews a text file, searches,
and restores through the engine: into a chosen folder (byte-identical) and to
the original location after showing what that would replace.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QApplication

from restic_monitor.engine.host import Engine
from restic_monitor.notify import LogNotifier
from restic_monitor.paths import Home
from restic_monitor.platform.idle import UnknownIdle
from restic_monitor.tray.restore_window import RestoreWindow

from .conftest import Repo, cli, same_tree, write_config


@pytest.fixture
def engine(home: Home, repo: Repo, sample: Path) -> Iterator[Engine]:
    write_config(
        home,
        {"restic_exe": repo.exe, "args": ["backup", str(sample)], "check_every_seconds": 0},
        repo.env,
    )
    assert cli(home, "backup").returncode == 0
    (sample / "docs" / "a.txt").write_text("the second version\n")
    assert cli(home, "backup").returncode == 0
    engine = Engine(home, UnknownIdle("test"), notifier=LogNotifier(), automatic=False)
    engine.start()
    yield engine
    engine.shutdown(30)


@pytest.fixture
def window(qapp: QApplication, engine: Engine, home: Home) -> Iterator[RestoreWindow]:
    opened: list[Path] = []
    win = RestoreWindow(engine, home, profile="default", open_folder=opened.append)
    win.opened = opened  # type: ignore[attr-defined]
    win.show()
    yield win
    win.close()


def select(win: RestoreWindow, *paths: str) -> None:
    sel = win.view.selectionModel()
    sel.clearSelection()
    for path in paths:
        index = win.model.index_of(path)
        assert index is not None, path
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        sel.select(win.model.index(index.row(), 0, index.parent()), flags)


def test_lists_snapshots_and_a_folder_opened_lazily_and_previews_text(
    window: RestoreWindow, sample: Path, qtbot: Any
) -> None:
    qtbot.waitUntil(lambda: window.snapshots.topLevelItemCount() == 2, timeout=30_000)
    newest = window.snapshots.topLevelItem(0)
    assert newest is not None and window.snapshot is not None
    assert window.snapshot.time >= window.snaps[1].time  # newest first, and chosen
    # The lone folders from the top open on their own, down to the backed-up folder.
    qtbot.waitUntil(lambda: bool(window.model.loaded_paths(str(sample))), timeout=30_000)
    assert window.model.loaded_paths(str(sample)) == [
        f"{sample}/docs", f"{sample}/empty.txt", f"{sample}/ünïcode name.txt",
    ]  # fmt: skip
    # docs/ is not listed until it is opened.
    docs = f"{sample}/docs"
    assert window.model.loaded_paths(docs) == []
    index = window.model.index_of(docs)
    assert index is not None
    window.view.expand(window.model.index(index.row(), 0, index.parent()))
    qtbot.waitUntil(lambda: bool(window.model.loaded_paths(docs)), timeout=30_000)
    assert window.model.loaded_paths(docs) == [f"{docs}/deep", f"{docs}/a.txt"]

    select(window, f"{docs}/a.txt")
    qtbot.waitUntil(lambda: window.preview.currentWidget() is window.preview.text, timeout=30_000)
    assert window.preview.text.toPlainText() == "the second version\n"
    assert window.versions.isEnabled() and window.restore_to.isEnabled()

    window.search.setText("b.bin")
    window.search.returnPressed.emit()
    qtbot.waitUntil(lambda: window.view.model() is not window.model, timeout=30_000)
    found = window.view.model()
    assert found.rowCount() == 1
    assert found.index(0, 0).data() == f"{docs}/deep/b.bin"
    window.search.clear()
    assert window.view.model() is window.model


def test_restores_into_a_chosen_folder_and_to_the_original_location(
    window: RestoreWindow, sample: Path, tmp_path: Path, qtbot: Any, home: Home
) -> None:
    docs = f"{sample}/docs"
    qtbot.waitUntil(lambda: bool(window.model.loaded_paths(str(sample))), timeout=30_000)
    index = window.model.index_of(docs)
    assert index is not None
    window.view.expand(window.model.index(index.row(), 0, index.parent()))
    qtbot.waitUntil(lambda: bool(window.model.loaded_paths(docs)), timeout=30_000)

    target = tmp_path / "Restored here"
    window.flow.ask_target = lambda count: target  # type: ignore[method-assign]
    select(window, f"{docs}/a.txt", f"{docs}/deep")
    window.restore_to.click()
    qtbot.waitUntil(window.open_target.isVisible, timeout=60_000)
    assert sorted(p.name for p in target.iterdir()) == ["a.txt", "deep"]
    assert (target / "a.txt").read_text() == "the second version\n"
    assert same_tree(target / "deep", sample / "docs" / "deep")
    window.open_target.click()
    assert window.opened == [target]  # type: ignore[attr-defined]

    # Original location: what it would replace is shown first; here, a.txt.
    (sample / "docs" / "a.txt").write_text("edited after the backup\n")
    (sample / "docs" / "deep" / "b.bin").unlink()
    asked: list[tuple[str, list[Path]]] = []

    def confirm(title: str, intro: str, paths: list[Path], ok: str) -> bool:
        asked.append((intro, paths))
        return True

    window.flow.confirm = confirm  # type: ignore[method-assign]
    select(window, f"{docs}/a.txt", f"{docs}/deep")
    window.restore_original.click()
    qtbot.waitUntil(lambda: bool(asked) and not window.runner.busy, timeout=60_000)
    qtbot.waitUntil(window.open_target.isVisible, timeout=60_000)
    assert asked[0][1] == [sample / "docs" / "a.txt"]
    assert (sample / "docs" / "a.txt").read_text() == "the second version\n"
    assert (sample / "docs" / "deep" / "b.bin").stat().st_size == 300_000
    runs = cli(home, "history", "--kind", "restore", "--json").stdout
    assert runs.count('"outcome": "success"') == 2
    assert not [p for p in os.listdir(sample / "docs") if p.startswith(".restic-monitor")]


def test_browse_as_folder_mounts_opens_the_file_manager_and_unmounts_on_close(
    qapp: QApplication, engine: Engine, home: Home, sample: Path, qtbot: Any
) -> None:
    if not os.path.exists("/dev/fuse") and os.environ.get("CI") != "true":
        pytest.skip("no FUSE here")
    opened: list[Path] = []
    win = RestoreWindow(engine, home, profile="default", open_folder=opened.append)
    win.show()
    try:
        assert win.browse.isEnabled(), win.browse.toolTip()
        win.browse.click()
        qtbot.waitUntil(lambda: bool(opened), timeout=60_000)
        folder = opened[0]
        assert folder.name == "snapshots" and os.path.ismount(folder.parent)
        latest = folder / "latest" / str(sample).lstrip("/")
        assert (latest / "docs" / "a.txt").read_text() == "the second version\n"
    finally:
        win.close()
    assert not os.path.ismount(folder.parent)
    assert not folder.parent.exists()  # the temporary folder went with the mount
