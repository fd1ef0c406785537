"""The tray's Qt layer, offscreen: menu, tooltip, icons, windows, quitting."""

from __future__ import annotations

import json
import os
import struct
import sys
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("PySide6")

from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from restic_monitor.paths import Home
from restic_monitor.platform.idle import FileIdle
from restic_monitor.state.history import History
from restic_monitor.tray import icon_art, icons
from restic_monitor.tray.app import TrayApp
from restic_monitor.tray.history_window import HistoryWindow, history_title
from restic_monitor.tray.log_viewer import LogViewer
from restic_monitor.tray.runs_model import COLUMNS
from restic_monitor.tray.state import IconState
from restic_monitor.tray.view import Action, tray_view

from .conftest import SECRET, FakeRestic, write_config


@pytest.fixture
def tray(qapp: QApplication, home: Home, fake_restic: FakeRestic, tmp_path: Path) -> Any:
    app = _tray_for(qapp, home, fake_restic, tmp_path)
    app.start()
    yield app
    if not app._quitting:
        app.daemon.close()
    app.tray.hide()


def _menu_texts(app: Any) -> list[str]:
    app._rebuild_menu()
    texts = []
    for action in app.menu.actions():
        if action.isSeparator():
            continue
        texts.append(action.text().replace("&&", "\0").replace("&", "").replace("\0", "&"))
    return texts


def test_menu_is_the_view_of_the_engine_status(tray: Any, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)
    texts = _menu_texts(tray)

    expected = [e.label for e in tray_view(tray.engine.status()).menu if not e.separator]
    assert texts == expected
    assert "Back up all now" not in texts, "one profile: the menu it always had"
    assert "Back up now" in texts
    assert texts[0] == "Last backup: never"
    qtbot.waitUntil(lambda: tray.tray.toolTip() == "No backup yet", timeout=10_000)


def test_back_up_now_runs_a_backup_and_the_icon_follows(
    tray: Any, qtbot: Any, fake_restic: FakeRestic
) -> None:
    fake_restic.plan(sleep=2)
    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)

    tray.perform(Action.BACKUP)
    qtbot.waitUntil(lambda: tray._view.state is IconState.BACKING_UP, timeout=10_000)
    assert "Stop backup" in _menu_texts(tray)
    qtbot.waitUntil(lambda: tray.tray.toolTip().startswith("Backing up 50 %"), timeout=10_000)
    qtbot.waitUntil(lambda: tray._view.state is IconState.OK, timeout=15_000)

    assert fake_restic.starts() == 1
    assert tray.tray.toolTip() == "Last backup just now"
    assert tray.tray.icon().cacheKey() == icons.icon(IconState.OK).cacheKey()


def test_pause_and_resume_from_the_menu(tray: Any, qtbot: Any, home: Home) -> None:
    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)

    tray.perform(Action.PAUSE)
    qtbot.waitUntil(home.pause_until.exists, timeout=10_000)
    qtbot.waitUntil(lambda: tray._view.state is IconState.PAUSED, timeout=10_000)
    assert "Resume" in _menu_texts(tray)
    assert tray.tray.toolTip().startswith("Paused until ")

    tray.perform(Action.RESUME)
    qtbot.waitUntil(lambda: not home.pause_until.exists(), timeout=10_000)
    qtbot.waitUntil(lambda: "Pause for 8 hours" in _menu_texts(tray), timeout=10_000)


def test_invalid_configuration_shows_error_state_and_recovers_on_reload(
    tray: Any, qtbot: Any, home: Home, fake_restic: FakeRestic
) -> None:
    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)
    home.settings_json.write_text('{"args": ["backup", "/data"], "min_idle_second": 5}')

    tray.perform(Action.RELOAD)
    qtbot.waitUntil(lambda: tray._view.state is IconState.ERROR, timeout=10_000)
    texts = _menu_texts(tray)
    assert tray.tray.toolTip() == "Configuration error — see menu"
    assert any("did you mean min_idle_seconds?" in t for t in texts)
    assert "Open configuration folder" in texts and "Reload configuration" in texts

    settings = {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]}
    home.settings_json.write_text(json.dumps({**settings, "min_idle_seconds": 300}))
    tray.perform(Action.RELOAD)
    qtbot.waitUntil(lambda: tray._view.state is not IconState.ERROR, timeout=10_000)


@pytest.mark.parametrize(("answer", "quits"), [(False, False), (True, True)])
def test_quit_asks_while_a_backup_runs_then_stops_it_gracefully(
    tray: Any,
    qtbot: Any,
    fake_restic: FakeRestic,
    monkeypatch: pytest.MonkeyPatch,
    answer: bool,
    quits: bool,
) -> None:
    fake_restic.plan(sleep=60)
    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)
    tray.perform(Action.BACKUP)
    qtbot.waitUntil(lambda: fake_restic.starts() == 1, timeout=10_000)
    qtbot.waitUntil(lambda: tray._view.state is IconState.BACKING_UP, timeout=10_000)
    asked: list[str] = []

    def question(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(args[2])
        yes, no = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No
        return yes if answer else no

    monkeypatch.setattr(QMessageBox, "question", question)
    quit_calls: list[bool] = []
    monkeypatch.setattr(tray.app, "quit", lambda: quit_calls.append(True))

    tray.perform(Action.QUIT)

    assert asked and "A backup is running" in asked[0]
    if quits:
        qtbot.waitUntil(lambda: quit_calls == [True], timeout=20_000)
        events = [e[0] for e in fake_restic.events()]
        assert "end" in events, "restic was stopped before the app quit"
        assert not tray.engine.alive
    else:
        time.sleep(0.5)
        qtbot.wait(200)
        assert quit_calls == []
        assert tray.engine.status().running is True


def _runs(home: Home) -> None:
    """Three backups of default, one of cloud, and an unlock of cloud (the newest)."""
    history = History(home.history_db)
    jobs = [("default", "backup")] * 3 + [("cloud", "backup"), ("cloud", "unlock")]
    for i, (name, kind) in enumerate(jobs):
        started = time.time() - 3600 * (len(jobs) - i)
        run = history.start(started, "idle", kind=kind, profile=name)
        history.update(
            run,
            ended=started + 30,
            outcome="success",
            counted_success=kind == "backup",
            data_added=1000 * (i + 1) if kind == "backup" else None,
            duration=30.0,
            snapshot_id=f"abcdef{i}0" if kind == "backup" else None,
            files_new=i,
        )


def _column(window: HistoryWindow, name: str) -> list[str]:
    column = COLUMNS.index(name)
    model = window.model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


def test_history_window_lists_runs_with_profile_and_kind(
    qapp: QApplication, qtbot: Any, home: Home
) -> None:
    _runs(home)
    window = HistoryWindow(home)
    qtbot.addWidget(window)

    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=10_000)
    assert window.windowTitle() == history_title(5)
    assert _column(window, "Profile") == ["cloud", "cloud", "default", "default", "default"]
    assert _column(window, "Kind") == ["unlock", "backup", "backup", "backup", "backup"]
    assert _column(window, "Snapshot")[1] == "abcdef30"
    assert _column(window, "Outcome")[0] == "success"
    assert _column(window, "Trigger")[0] == "you were away"
    # The backups: maintenance adds no data to the chart.
    assert len(window.chart.series.points) == 4


def test_history_window_filters_by_profile_and_kind(
    qapp: QApplication, qtbot: Any, home: Home, tmp_path: Path
) -> None:
    _runs(home)
    write_config(home.profile("cloud"), {"args": ["backup", "/data"]}, {})
    window = HistoryWindow(home, profiles=["default"])
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.model.rowCount() == 5, timeout=10_000)
    # The names known at once, then the home's own profiles read in the background.
    qtbot.waitUntil(lambda: window.profile_filter.count() == 3, timeout=10_000)
    assert [window.profile_filter.itemText(i) for i in range(3)] == [
        "All profiles",
        "default",
        "cloud",
    ]

    window.profile_filter.setCurrentIndex(window.profile_filter.findData("cloud"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    assert set(_column(window, "Profile")) == {"cloud"}
    assert window.windowTitle() == history_title(2)

    window.kind_filter.setCurrentIndex(window.kind_filter.findData("unlock"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    assert _column(window, "Kind") == ["unlock"]
    assert len(window.chart.series.points) == 1, "one kind chosen: the chart shows that kind"

    window.profile_filter.setCurrentIndex(window.profile_filter.findData("default"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 0, timeout=10_000)
    assert window.summary.text() == "No runs of this choice."


def test_history_opened_from_a_profile_shows_that_profile(
    qapp: QApplication, qtbot: Any, home: Home
) -> None:
    _runs(home)
    window = HistoryWindow(home, profile="cloud")
    qtbot.addWidget(window)

    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    assert window.profile_filter.currentText() == "cloud"
    assert set(_column(window, "Profile")) == {"cloud"}


def test_log_viewer_follows_the_file_and_its_rewrites(
    qapp: QApplication, qtbot: Any, tmp_path: Path
) -> None:
    path = tmp_path / "restic-last.log"
    path.write_text("first line\n")
    viewer = LogViewer(path, "Last restic log")
    qtbot.addWidget(viewer)
    qtbot.waitUntil(lambda: "first line" in viewer.text.toPlainText(), timeout=5_000)

    with path.open("a") as fh:
        fh.write("second line\n")
    qtbot.waitUntil(lambda: "second line" in viewer.text.toPlainText(), timeout=5_000)

    path.write_text("new run\n")  # a new backup rewrites the file
    qtbot.waitUntil(lambda: viewer.text.toPlainText() == "new run", timeout=5_000)
    viewer.close()


def _shape(image: QImage) -> list[int]:
    """What is left of an icon without colour: dark, light or empty, per pixel."""
    out = []
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.alpha() < 128:
                out.append(0)
            else:
                out.append(1 if colour.lightnessF() < 0.6 else 2)
    return out


def test_every_state_has_its_own_shape_not_only_its_own_colour(qapp: QApplication) -> None:
    shapes = {state: _shape(icons.image(state, None, 32)) for state in IconState}
    states = list(IconState)
    for i, a in enumerate(states):
        for b in states[i + 1 :]:
            differing = sum(x != y for x, y in zip(shapes[a], shapes[b], strict=True))
            assert differing > 60, f"{a.value} and {b.value} look alike without colour"


def test_backing_up_icon_shows_progress(qapp: QApplication) -> None:
    empty = icons.image(IconState.BACKING_UP, 0.0, 64)
    half = icons.image(IconState.BACKING_UP, 0.5, 64)

    # The ring's right half (3 o'clock) fills, its left half (9 o'clock) does not yet.
    assert empty.pixelColor(58, 32) != half.pixelColor(58, 32)
    assert empty.pixelColor(6, 32) == half.pixelColor(6, 32)


def test_another_shape_keeps_the_progress_ring_while_a_backup_runs(qapp: QApplication) -> None:
    plain = icons.image(IconState.ERROR, None, 64)
    framed = icons.image(IconState.ERROR, 0.5, 64)

    assert plain.pixelColor(58, 32) != framed.pixelColor(58, 32), "the filled half of the ring"
    assert plain.pixelColor(32, 32) == framed.pixelColor(32, 32), "still the error's cross"
    assert icons.icon(IconState.ERROR, 0.5).cacheKey() != icons.icon(IconState.ERROR).cacheKey()


def _channel_gap(a: QColor, b: QColor) -> int:
    pairs = ((a.red(), b.red()), (a.green(), b.green()), (a.blue(), b.blue()))
    return max(abs(x - y) for x, y in (*pairs, (a.alpha(), b.alpha())))


def test_the_composed_icons_are_the_svgs_as_drawn_at_every_size_and_step(
    qapp: QApplication,
) -> None:
    """The tray paints its icons from prerendered layer sheets; they must not drift from
    the SVGs (after an SVG changes: python -m restic_monitor.tray.icon_art --sheets)."""
    worst: dict[str, int] = {}
    for state in IconState:
        for progress in (None, *(step / icons.PROGRESS_STEPS for step in range(21))):
            for size in icons.TRAY_SIZES:
                ours = icons.image(state, progress, size)
                drawn = icon_art.render(icon_art.svg_for(state, progress), size)
                assert (ours.width(), ours.height()) == (size, size)
                key = f"{state.value} {progress} {size}"
                worst[key] = max(
                    _channel_gap(ours.pixelColor(x, y), drawn.pixelColor(x, y))
                    for y in range(size)
                    for x in range(size)
                )
    assert max(worst.values()) <= 12, sorted(worst.items(), key=lambda kv: -kv[1])[:5]
    starting = QImage(str(icons.STARTING_PNG))  # the first icon, from a file of its own
    drawn = icon_art.render(icon_art.svg_text("starting"), starting.width())
    assert starting.width() == max(icons.TRAY_SIZES)
    gaps = [_channel_gap(starting.pixelColor(x, y), drawn.pixelColor(x, y))
            for y in range(starting.height()) for x in range(starting.width())]  # fmt: skip
    assert max(gaps) <= 2


def test_windows_ico_holds_every_size_and_loads(qapp: QApplication, tmp_path: Path) -> None:
    data = icon_art.ico_bytes(icon_art.svg_text("app"))
    reserved, kind, count = struct.unpack_from("<HHH", data)
    sizes = [data[6 + 16 * i] or 256 for i in range(count)]
    out = tmp_path / "app.ico"
    out.write_bytes(data)

    assert (reserved, kind) == (0, 1)
    assert sizes == list(icon_art.ICO_SIZES)
    image = QImage(str(out))
    assert not image.isNull()


def test_tray_starts_with_an_invalid_configuration_and_shows_every_problem(
    qapp: QApplication, qtbot: Any, home: Home, tmp_path: Path
) -> None:
    home.settings_json.write_text('{"args": "backup", "progress": "true"}')
    home.env_json.write_text("{}")
    idle = tmp_path / "idle"
    idle.write_text("0")
    app = TrayApp(qapp, home, FileIdle(idle), kill_after=2)
    assert app.daemon.lock.acquire()
    app.start()
    try:
        qtbot.waitUntil(lambda: app._view.state is IconState.ERROR, timeout=10_000)
        texts = _menu_texts(app)
        assert app.tray.toolTip() == "Configuration error — see menu"
        assert any("args: expected a list of strings" in t for t in texts)
        assert any("progress: expected true or false" in t for t in texts)
        assert app.engine.alive
    finally:
        app.daemon.close()
        app.tray.hide()


def _tray_for(qapp: QApplication, home: Home, fake: FakeRestic, tmp_path: Path) -> TrayApp:
    """A tray over a valid configuration with the fake restic, holding the lock, not started."""
    write_config(
        home,
        {"restic_exe": str(fake.exe), "args": ["backup", "/data"], "min_idle_seconds": 300},
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    idle = tmp_path / "idle"
    idle.write_text("0")
    app = TrayApp(qapp, home, FileIdle(idle), kill_after=2)
    assert app.daemon.lock.acquire()
    return app


def _menu_of(app: Any, title: str) -> Any:
    """The open menu's submenu with this label, as the user sees it."""
    app._rebuild_menu()
    return next(m for m in app._submenus if m.title().replace("&", "") == title)


def _click(menu: Any, label: str) -> None:
    action = next(a for a in menu.actions() if a.text().replace("&", "") == label)
    assert action.isEnabled(), label
    action.trigger()


def test_two_profiles_clicking_one_profiles_back_up_now_backs_up_only_that_profile(
    qapp: QApplication, qtbot: Any, home: Home, fake_restic: FakeRestic, tmp_path: Path
) -> None:
    fake_restic.plan(sleep=1)
    app = _tray_for(qapp, home, fake_restic, tmp_path)
    settings = {"restic_exe": str(fake_restic.exe), "args": ["backup", "/cloud"]}
    write_config(
        home.profile("cloud"),
        {**settings, "min_idle_seconds": 300},
        {"RESTIC_REPOSITORY": "/cloud-repo", "RESTIC_PASSWORD": SECRET},
    )
    app.start()
    try:
        qtbot.waitUntil(lambda: app._view.state is not IconState.STARTING, timeout=10_000)
        texts = _menu_texts(app)
        assert texts[0] == "default" and "cloud" in texts and "Back up all now" in texts

        _click(_menu_of(app, "cloud"), "Back up now")
        qtbot.waitUntil(lambda: app._view.find(Action.STOP, "cloud") is not None, timeout=10_000)
        assert app._view.find(Action.BACKUP, "default") is not None, "default is not backing up"
        # default never backed up: its warning keeps the shape, the ring shows cloud's backup.
        assert app.tray.toolTip() == "default: no backup yet · cloud: backing up"
        assert app._view.state is IconState.WARNING and app._view.progress is not None
        qtbot.waitUntil(lambda: app._view.find(Action.STOP) is None, timeout=15_000)

        runs = app.engine.history.recent(10)
        assert [(r.profile, r.kind, r.trigger, r.outcome) for r in runs] == [
            ("cloud", "backup", "manual", "success")
        ]
        assert fake_restic.starts() == 1
        assert "  Last backup: just now" in " ".join(_menu_texts(app))
        cloud = app.engine.status().profile("cloud")
        default = app.engine.status().profile("default")
        assert cloud is not None and cloud.last_success is not None
        assert default is not None and default.last_success is None
    finally:
        app.daemon.close()
        app.tray.hide()


def test_an_engine_that_cannot_start_is_shown_as_stopped_not_as_starting(
    qapp: QApplication,
    qtbot: Any,
    home: Home,
    fake_restic: FakeRestic,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = _tray_for(qapp, home, fake_restic, tmp_path)

    def broken() -> None:
        raise RuntimeError("history folder vanished")

    monkeypatch.setattr(app.engine, "start", broken)
    app.start()
    try:
        qtbot.waitUntil(lambda: app._view.state is IconState.ERROR, timeout=10_000)
        assert app.tray.toolTip() == "restic-monitor stopped — see menu"
        texts = _menu_texts(app)
        assert texts[0] == "restic-monitor stopped: RuntimeError: history folder vanished"
        assert "Application log" in texts and "Quit" in texts
        assert "Back up now" not in texts
    finally:
        app.daemon.close()
        app.tray.hide()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_engine_that_dies_is_shown_and_commands_fail_at_once(
    tray: Any, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    qtbot.waitUntil(lambda: tray._view.state is not IconState.STARTING, timeout=10_000)

    def crash(timeout: float | None = None) -> bool:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(tray.engine._cond, "wait", crash)  # the engine thread's next sleep
    tray.perform(Action.RELOAD)  # wakes the engine thread, which then fails
    qtbot.waitUntil(lambda: not tray.engine.alive, timeout=10_000)
    qtbot.waitUntil(lambda: tray._view.state is IconState.ERROR, timeout=10_000)
    assert tray.tray.toolTip() == "restic-monitor stopped — see menu"

    started = time.monotonic()
    with pytest.raises(Exception, match="engine has stopped"):
        tray.engine.backup()
    assert time.monotonic() - started < 1.0


def test_reloading_an_invalid_configuration_notifies_once(
    tray: Any, qtbot: Any, home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(tray, "_notify", lambda n: shown.append((n.title, n.kind)))
    home.settings_json.write_text('{"args": ["backup", "/data"], "min_idle_second": 5}')

    tray.perform(Action.RELOAD)
    qtbot.waitUntil(lambda: tray._view.state is IconState.ERROR, timeout=10_000)
    qtbot.wait(500)

    # (The start-up's "No recent backup" may cross to the UI thread only now: not counted.)
    assert [kind for _title, kind in shown if kind != "warning"] == ["config"], shown


def test_rebuilding_the_menu_does_not_keep_old_submenus(tray: Any, qtbot: Any) -> None:
    from PySide6.QtWidgets import QMenu

    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)
    for _ in range(30):
        tray._rebuild_menu()
    qtbot.wait(100)  # deleteLater runs in the event loop

    assert len(tray.menu.findChildren(QMenu)) <= 1


def test_a_failed_backup_reaches_the_desktop_with_reason_and_last_lines(
    tray: Any, qtbot: Any, fake_restic: FakeRestic, monkeypatch: pytest.MonkeyPatch
) -> None:
    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)
    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(tray, "_notify", lambda n: shown.append((n.title, n.body, n.kind)))
    fake_restic.plan(exit=1, lines=["Fatal: wrong password or no key found"])

    tray.perform(Action.BACKUP)
    qtbot.waitUntil(lambda: any(t == "Backup failed" for t, _b, _k in shown), timeout=15_000)

    _title, body, kind = next(m for m in shown if m[0] == "Backup failed")
    assert kind == "failure"
    assert "Fatal: wrong password or no key found" in body
    assert SECRET not in body
    qtbot.waitUntil(lambda: tray._view.state is IconState.ERROR, timeout=10_000)


def test_the_qt_binding_keeps_its_references_to_true_false_and_none(qapp: QApplication) -> None:
    """Every engine event crosses to the UI thread by Signal.emit, a few times a second
    during a backup. PySide6 6.12.0 lost a reference to True on each emit, which ends
    a long-running tray with "Fatal Python error: bool_dealloc"; such a version must
    never be locked in."""
    from PySide6.QtCore import QObject, Signal

    class Bridge(QObject):
        engine_event = Signal(str, object)
        bare = Signal()

    bridge = Bridge()
    bridge.engine_event.connect(lambda _name, _data: None)
    before = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))
    for _ in range(200):
        bridge.engine_event.emit("progress", {"running": True, "stalled": False, "pid": None})
        bridge.bare.emit()
    after = (sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None))

    assert after == before


def test_a_configuration_error_keeps_the_menu_narrow_and_the_whole_text_one_click_away(
    qapp: QApplication, qtbot: Any, tmp_path: Path
) -> None:
    home = Home(tmp_path / ("a-folder-with-a-long-name-" * 4) / "restic-monitor")
    home.ensure()
    home.settings_json.write_text(
        json.dumps({"args": "backup", "progress": "true", "min_idle_seconds": "five minutes"})
    )
    home.env_json.write_text('{"RESTIC_REPOSITORY": "/r", "RESTIC_PASSWORD": 5}')
    idle = tmp_path / "idle"
    idle.write_text("0")
    app = TrayApp(qapp, home, FileIdle(idle), kill_after=2)
    assert app.daemon.lock.acquire()
    app.start()
    try:
        qtbot.waitUntil(lambda: app._view.state is IconState.ERROR, timeout=10_000)
        app._rebuild_menu()
        assert app.menu.sizeHint().width() < 480
        texts = _menu_texts(app)
        assert sum(str(home.settings_json) in t for t in texts) == 0  # too long to show whole
        assert sum(t.startswith("Configuration error in") for t in texts) == 2  # each file once
        info = [a for a in app.menu.actions() if a.text().startswith("  progress")]
        assert info and info[0].isEnabled(), "status lines are drawn at full contrast"

        info[0].trigger()  # any status line opens the problems window
        window = app.windows.problems
        assert window is not None and window.isVisible()
        text = window.text.toPlainText()
        assert f"{home.settings_json}: progress: expected true or false" in text
        window.copy_all()
        assert qapp.clipboard().text() == text
        assert window.windowTitle() == "Problems"
        window.close()
    finally:
        app.daemon.close()
        app.tray.hide()


def test_a_folder_that_cannot_be_opened_says_so_with_its_path(
    tray: Any, qtbot: Any, home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text("#!/bin/sh\nexit 3\n")  # xdg-open: no program for folders
    opener.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(
        tray, "_message", lambda title, body, kind: shown.append((title, body, kind))
    )

    tray.perform(Action.CONFIG_FOLDER)
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)

    title, body, kind = shown[0]
    assert (title, kind) == ("Cannot open the folder", "failure")
    assert str(home.root) in body and "no program to open it" in body


def test_log_viewer_wraps_finds_and_marks_errors_at_the_newest_line(
    qapp: QApplication, qtbot: Any, tmp_path: Path
) -> None:
    path = tmp_path / "restic-last.log"
    lines = [f"line {i} " + "word " * 60 for i in range(300)]
    lines.append("Fatal: unable to open config file: permission denied")
    path.write_text("\n".join(lines) + "\n")
    viewer = LogViewer(path, "Last restic log")
    qtbot.addWidget(viewer)
    viewer.show()
    qtbot.waitUntil(lambda: "Fatal:" in viewer.text.toPlainText(), timeout=5_000)

    assert viewer.text.lineWrapMode() == viewer.text.LineWrapMode.WidgetWidth
    bar = viewer.text.verticalScrollBar()
    assert bar.value() == bar.maximum(), "opens at the newest line"
    assert viewer.text.horizontalScrollBar().value() == 0
    last = viewer.text.document().lastBlock()
    formats = last.layout().formats()
    assert formats and formats[0].format.fontWeight() > 400, "the error line is marked"
    assert not viewer.text.document().firstBlock().layout().formats()

    viewer.search.setText("line 12 ")
    assert viewer.found.text() == "1 match"
    assert viewer.text.textCursor().selectedText() == "line 12 "
    viewer.search.setText("no such text")
    assert viewer.found.text() == "not found"
    viewer.wrap.setChecked(False)
    assert viewer.text.lineWrapMode() == viewer.text.LineWrapMode.NoWrap
    viewer.close()


def test_a_notifications_buttons_do_what_they_say(
    tray: Any, qtbot: Any, fake_restic: FakeRestic
) -> None:
    from restic_monitor.notify import Notice

    qtbot.waitUntil(lambda: tray.engine.alive, timeout=10_000)
    fake_restic.plan(exit=0)
    failed = Notice("failure", "Backup failed", "x", topic="backup", profile="default")

    tray._on_notice_action(failed, "default")  # a click on the notification itself
    assert tray.windows.problems is not None and tray.windows.problems.isVisible()
    opened = len(tray.windows)
    tray._on_notice_action(failed, "log")
    assert len(tray.windows) == opened + 1, "Show log opens the restic log"
    tray._on_notice_action(failed, "backup")
    qtbot.waitUntil(lambda: fake_restic.starts() == 1, timeout=10_000)


def test_history_of_ten_thousand_runs_is_grouped_and_every_run_is_in_the_table(
    qapp: QApplication, qtbot: Any, home: Home
) -> None:
    from restic_monitor.state.history import RunRecord

    now = time.time()
    records = [
        RunRecord(
            id=10_000 - i, started=now - 3600 * i, ended=now - 3600 * i + 60, trigger="idle",
            outcome="success", counted_success=True, data_added=2**20 * (i % 7), duration=60.0,
        )
        for i in range(10_000)
    ]  # fmt: skip
    window = HistoryWindow(home)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.summary.text() != "Loading…", timeout=10_000)

    window.show_records(records)

    assert window.model.rowCount() == 10_000
    assert window.windowTitle() == "Backup history (10,000 runs)"
    series = window.chart.series
    assert series.bucket == "week" and sum(p.runs for p in series.points) == 10_000
    assert window.chart.bytes_axis.unit[0] == "MiB"
    middle = series.points[3].middle
    assert window.chart.point_at(middle + 60) == 3, "hovering a bar finds that bar"


def test_history_filters_by_outcome_and_shows_a_runs_own_log(
    qapp: QApplication, qtbot: Any, home: Home, fake_restic: FakeRestic
) -> None:
    from .conftest import cli

    write_config(
        home,
        {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]},
        {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET},
    )
    fake_restic.plan(exit=1, lines=["Fatal: the first run failed"])
    cli(home, "backup")
    fake_restic.plan(exit=0, lines=["the second run worked"])
    cli(home, "backup")
    opened: list[tuple[Path, str]] = []
    window = HistoryWindow(home, open_log=lambda path, title: opened.append((path, title)))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.model.rowCount() >= 2, timeout=10_000)

    window.kind_filter.setCurrentIndex(window.kind_filter.findData("backup"))
    window.outcome_filter.setCurrentIndex(window.outcome_filter.findData("failed"))
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    assert _column(window, "Outcome") == ["failed"]
    assert "the first run failed" in _column(window, "Reason")[0]
    assert _column(window, "Trigger") == ["asked for"]

    window.table.selectRow(0)
    assert window.log_button.isEnabled()
    window.log_button.click()
    assert len(opened) == 1
    path, title = opened[0]
    assert "Fatal: the first run failed" in path.read_text()
    assert "backup of default" in title


def test_the_tray_imports_its_windows_and_the_chart_library_only_when_they_open() -> None:
    import subprocess

    code = (
        "import sys; import restic_monitor.tray.app; "
        "heavy = [m for m in ('pyqtgraph', 'numpy', 'restic_monitor.tray.history_window', "
        "'restic_monitor.tray.log_viewer', 'restic_monitor.tray.problems_window', "
        "'restic_monitor.tray.settings_window', 'restic_monitor.tray.setup_wizard', "
        "'restic_monitor.tray.restore_window', 'restic_monitor.setup.estimate', "
        # urllib.request pulls in http.client, email and ssl: ~7 MB before any ping is sent
        "'urllib.request', 'http.client', 'ssl', 'email') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_the_idle_tray_keeps_no_module_sources_and_never_builds_the_qt_namespace(
    tmp_path: Path,
) -> None:
    """Two things the binding does behind the tray's back, each megabytes held all day:
    reading the source of every module imported after it into linecache, and building
    all ninety enums of the Qt namespace the first time anything weighs one (an image's
    fill, an elided text). The icons, a menu with a long line and a started tray must
    not cause either; a traceback must still quote its source line."""
    import subprocess

    home = tmp_path / "home"
    home.mkdir()
    code = (
        "import sys, linecache, traceback\n"
        "from restic_monitor.tray.source_lines import keep_no_sources\n"
        "keep_no_sources()\n"
        "import PySide6.QtCore as core\n"
        "from PySide6.QtWidgets import QApplication, QMenu\n"
        "app = QApplication([])\n"
        "from pathlib import Path\n"
        "from restic_monitor.paths import Home\n"
        "from restic_monitor.platform.idle import FixedIdle\n"
        "from restic_monitor.tray import icons\n"
        "from restic_monitor.tray.app import TrayApp\n"
        "from restic_monitor.tray.menu_fill import fill_menu\n"
        "from restic_monitor.tray.state import IconState\n"
        "from restic_monitor.tray.view import Entry\n"
        "for state in IconState:\n"
        "    icons.icon(state); icons.icon(state, 0.5)\n"
        "icons.app_icon()\n"
        "menu = QMenu()\n"
        "fill_menu(menu, (Entry('Last backup failed: ' + 'x' * 300),), lambda a, p: None, [])\n"
        "tray = TrayApp(app, Home(Path(sys.argv[1])), FixedIdle(0.0))\n"
        "assert tray.daemon.lock.acquire()\n"
        "tray.start()\n"
        "tray._rebuild_menu()\n"
        "kept = [f for f in linecache.cache if 'restic_monitor' in f]\n"
        "try:\n"
        "    icons._sheet(5)\n"
        "except OSError:\n"
        "    quoted = 'raise FileNotFoundError(' in traceback.format_exc()\n"
        "print(kept, 'Qt' in core.__dict__, 'PySide6.QtSvg' in sys.modules, quoted,\n"
        "      menu.actions()[0].text()[-1])\n"
        "tray.daemon.close()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True,
                         text=True, timeout=60, check=False, env=env)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[] False False True …"


def test_an_elided_menu_line_is_the_longest_cut_that_fits(qapp: QApplication) -> None:
    from PySide6.QtWidgets import QMenu

    from restic_monitor.tray.menu_fill import elided

    menu = QMenu()
    metrics = menu.fontMetrics()
    text = "Backup failed: Fatal: unable to open config file: stat /mnt/backup/config " * 3
    cut = elided(menu, text, 420)
    assert cut.endswith("…") and text.startswith(cut[:-1])
    assert metrics.horizontalAdvance(cut) <= 420
    longer = text[: len(cut)].rstrip() + "…"  # one character more does not fit
    assert len(longer) <= len(cut) or metrics.horizontalAdvance(longer) > 420
    assert elided(menu, "Last backup: 2 h ago", 420) == "Last backup: 2 h ago"


def test_a_started_monitor_without_pings_keeps_no_http_client_in_memory(
    home: Home, fake_restic: FakeRestic
) -> None:
    """urllib.request pulls in http.client, email and ssl (about 7 MB of the idle tray):
    imported when a ping or a push is sent, not by every monitor that starts."""
    import subprocess

    write_config(home, {"restic_exe": str(fake_restic.exe), "args": ["backup", "/data"]},
                 {"RESTIC_REPOSITORY": "/repo", "RESTIC_PASSWORD": SECRET})  # fmt: skip
    code = (
        "import sys, time\n"
        "from restic_monitor.daemon import Daemon\n"
        "from restic_monitor.paths import Home\n"
        "from restic_monitor.platform.idle import FixedIdle\n"
        "from pathlib import Path\n"
        "d = Daemon(Home(Path(sys.argv[1])), FixedIdle(0.0))\n"
        "d.start(); time.sleep(1.5)\n"
        "assert 'restic_monitor.automation.pings' in sys.modules  # the monitor is up\n"
        "print([m for m in ('urllib.request', 'http.client', 'ssl', 'email') "
        "if m in sys.modules])\n"
        "d.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(home.root)], capture_output=True,
                         text=True, timeout=60, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
