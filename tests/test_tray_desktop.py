"""The tray end to end on a real X desktop: Xvfb, trayer, dunst, xdotool, the real restic.

The screenshots this run takes are the README's. To refresh them:

    RESTIC_MONITOR_SCREENSHOTS=docs/screenshots uv run pytest tests/test_tray_desktop.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.paths import Home

from .conftest import Repo, cli, wait_until, write_config
from .desktop import Desktop

CROP = "600x330+424+0"  # the top right corner: icon, menu, notifications


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = os.environ.get("RESTIC_MONITOR_SCREENSHOTS")
    return Path(target).absolute() if target else tmp_path / "screenshots"


@pytest.fixture
def big_tree(tmp_path: Path) -> Path:
    root = tmp_path / "Documents"
    (root / "projects").mkdir(parents=True)
    for i in range(12):
        (root / "projects" / f"report-{i}.bin").write_bytes(os.urandom(5_000_000))
    (root / "notes.txt").write_text("remember the milk\n" * 100)
    return root


def _start_app(desktop: Desktop, home: Home, idle_file: Path) -> subprocess.Popen[bytes]:
    idle_file.write_text("0")
    env = dict(desktop.env)
    env.pop("RESTIC_MONITOR_HOME", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "restic_monitor",
            "--home",
            str(home.root),
            "run",
            "--idle-source",
            f"file:{idle_file}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(home.root / "tray-stderr.txt").open("wb"),
    )


def _open_menu(desktop: Desktop) -> None:
    center = desktop.tray_icon_center()
    assert center is not None
    desktop.click(*center, button=3)
    time.sleep(0.8)


def _status(home: Home) -> dict[str, object]:
    result = cli(home, "status", "--json")
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_tray_drives_backups_pause_and_history_on_a_real_desktop(
    desktop: Desktop,
    home: Home,
    repo: Repo,
    big_tree: Path,
    restic_exe: str,
    tmp_path: Path,
    shots: Path,
) -> None:
    write_config(
        home,
        {
            "restic_exe": restic_exe,
            # Slow enough to catch the menu while the backup runs.
            "args": ["backup", "--limit-upload", "6000", str(big_tree)],
            "min_idle_seconds": 600,
            "min_seconds_between_backups": 3600,
        },
        repo.env,
    )
    app = _start_app(desktop, home, tmp_path / "idle")
    try:
        started = time.monotonic()
        wait_until(desktop.tray_icon_center, timeout=20)
        icon_seconds = time.monotonic() - started
        assert icon_seconds < 15

        # Never backed up: the warning reaches the desktop's notification service.
        wait_until(desktop.displayed, timeout=15)
        time.sleep(0.5)  # let it paint, and take it while it shows (reading closes it)
        desktop.screenshot(shots / "no-backup-warning.png", CROP)
        notices = wait_until(desktop.notifications, timeout=15)
        assert notices[0]["summary"] == "No recent backup"

        # Back up now, from the menu.
        _open_menu(desktop)
        desktop.key("b")
        wait_until(lambda: _status(home)["running"], timeout=20)
        time.sleep(2.5)  # some progress to show
        _open_menu(desktop)
        desktop.screenshot(shots / "menu-backing-up.png", CROP)
        desktop.key("Escape")
        status = wait_until(
            lambda: (s := _status(home))["last_run"] and not s["running"] and s, timeout=90
        )
        run = status["last_run"]
        assert isinstance(run, dict)
        assert run["outcome"] == "success" and run["trigger"] == "manual"
        assert repo.snapshots()[0]["id"].startswith(str(run["snapshot_id"]))

        # Pause for 8 hours, from the menu.
        _open_menu(desktop)
        desktop.key("p")
        wait_until(home.pause_until.exists, timeout=10)
        assert _status(home)["paused"] is True
        time.sleep(0.5)
        _open_menu(desktop)
        desktop.screenshot(shots / "menu-paused.png", CROP)
        desktop.key("Escape")

        # History…: a window that lists the run.
        _open_menu(desktop)
        desktop.key("h")
        ids = wait_until(lambda: desktop.window_ids(r"Backup history \(1 run\)"), timeout=15)
        # The title names the app once (Qt adds it after the window's own title).
        title = desktop.run(["xdotool", "getwindowname", ids[0]]).stdout.strip()
        assert title == "Backup history (1 run) — restic-monitor"
        time.sleep(1.0)  # let the chart paint
        desktop.screenshot(shots / "history.png")

        # Quit: nothing is running, so it quits without asking.
        _open_menu(desktop)
        desktop.key("q")
        assert app.wait(30) == 0
        assert not home.control_json.exists()
    finally:
        if app.poll() is None:
            app.terminate()
            app.wait(30)


def test_the_restore_window_lists_a_snapshot_and_a_folder_on_a_real_desktop(
    desktop: Desktop, home: Home, repo: Repo, restic_exe: str, tmp_path: Path, shots: Path
) -> None:
    documents = tmp_path / "Documents"
    (documents / "Photos 2026").mkdir(parents=True)
    (documents / "Letters").mkdir()
    (documents / "Taxes 2026.pdf").write_bytes(os.urandom(180_000))
    (documents / "shopping list.txt").write_text("milk\nbread\n")
    (documents / "Photos 2026" / "beach.jpg").write_bytes(os.urandom(900_000))
    (documents / "Letters" / "to grandma.odt").write_bytes(os.urandom(20_000))
    write_config(
        home,
        {"restic_exe": restic_exe, "args": ["backup", str(documents)], "min_idle_seconds": 600},
        repo.env,
    )
    assert cli(home, "backup").returncode == 0
    (documents / "shopping list.txt").write_text("milk\nbread\neggs\n")
    assert cli(home, "backup").returncode == 0
    app = _start_app(desktop, home, tmp_path / "idle")
    try:
        wait_until(desktop.tray_icon_center, timeout=20)
        wait_until(lambda: _status(home).get("instance_running"), timeout=20)  # menu is full
        _open_menu(desktop)
        desktop.key("e")  # R&estore files…
        ids = wait_until(lambda: desktop.window_ids("Restore files"), timeout=20)
        title = desktop.run(["xdotool", "getwindowname", ids[0]]).stdout.strip()
        assert title == "Restore files — restic-monitor"

        # The newest snapshot is chosen and the way down to Documents opens on its own,
        # each folder listed when it opens (the app log says what the window showed).
        def listed() -> bool:
            text = home.app_log.read_text(encoding="utf-8", errors="replace")
            return f"restore window: listed {documents} of snapshot" in text

        wait_until(listed, timeout=30)
        lines = [ln for ln in home.app_log.read_text().splitlines() if "restore window" in ln]
        assert any(f"listed {documents} of snapshot" in ln and ": 4 entries" in ln for ln in lines)
        newest = max(repo.snapshots(), key=lambda s: s["time"])
        assert all(f"of snapshot {newest['short_id']}" in ln for ln in lines)
        # A click on the text file (the window is at the top left: no window manager)
        # shows its preview, read from the snapshot.
        desktop.click(520, 210)
        time.sleep(2.0)  # let the preview come and paint
        desktop.screenshot(shots / "restore.png")
        desktop.run(["xdotool", "windowclose", ids[0]], check=False)
    finally:
        if app.poll() is None:
            app.terminate()
            app.wait(30)


def test_two_profiles_each_backed_up_from_its_own_submenu_on_a_real_desktop(
    desktop: Desktop,
    home: Home,
    repo: Repo,
    big_tree: Path,
    restic_exe: str,
    tmp_path: Path,
    shots: Path,
) -> None:
    settings = {"restic_exe": restic_exe, "min_idle_seconds": 600}
    # Slow enough to catch the menu while the backup runs.
    documents = ["backup", "--limit-upload", "6000", str(big_tree)]
    write_config(home.profile("documents"), {**settings, "args": documents}, repo.env)
    photos = {**repo.env, "RESTIC_PASSWORD": "not-the-password"}
    write_config(home.profile("photos"), {**settings, "args": ["backup", str(big_tree)]}, photos)
    app = _start_app(desktop, home, tmp_path / "idle")
    try:
        wait_until(desktop.tray_icon_center, timeout=20)
        wait_until(lambda: len(desktop.notifications()) >= 2, timeout=15)  # no backup yet, twice

        # photos: its submenu (ph&otos), Back up now: restic refuses the password.
        _open_menu(desktop)
        desktop.key("o", "b")
        profiles = wait_until(
            lambda: (p := _profiles(home)) and p["photos"]["last_run"] and p, timeout=60
        )
        assert profiles["photos"]["last_run"]["outcome"] == "failed"
        assert profiles["documents"]["last_run"] is None, "only photos was backed up"

        # documents: its own submenu (&documents); the failure of photos stays in the icon.
        _open_menu(desktop)
        desktop.key("d", "b")
        wait_until(lambda: _profiles(home)["documents"]["running"], timeout=20)
        time.sleep(2.5)  # some progress to show
        _open_menu(desktop)
        desktop.key("d")  # the documents submenu open beside the menu
        time.sleep(0.5)
        desktop.screenshot(shots / "menu-profiles.png", "760x520+264+0")
        desktop.key("Escape", "Escape")
        done = wait_until(lambda: (p := _profiles(home))["documents"]["last_run"] and p, timeout=90)
        run = done["documents"]["last_run"]
        assert run["outcome"] == "success" and run["trigger"] == "manual"
        assert repo.snapshots()[0]["id"].startswith(str(run["snapshot_id"]))
        assert done["photos"]["last_run"]["outcome"] == "failed"

        _open_menu(desktop)
        desktop.key("q")
        assert app.wait(30) == 0
    finally:
        if app.poll() is None:
            app.terminate()
            app.wait(30)


def _profiles(home: Home) -> dict[str, Any]:
    profiles = _status(home)["profiles"]
    assert isinstance(profiles, list)
    return {p["name"]: p for p in profiles}
