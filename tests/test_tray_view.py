"""What the tray shows for each state: pure functions of the status report, no Qt."""

from __future__ import annotations

import time
from typing import Any

import pytest

from restic_monitor.isotime import to_iso
from restic_monitor.tray.view import (
    Action,
    IconState,
    ago,
    clock_time,
    duration_words,
    icon_state,
    tooltip,
    tray_view,
)

NOW = time.mktime((2026, 11, 27, 15, 0, 0, 0, 0, -1))


def status(**overrides: Any) -> dict[str, Any]:
    """A healthy status: last backup two hours ago, nothing running."""
    base: dict[str, Any] = {
        "instance_running": True,
        "running": False,
        "progress": None,
        "current_run": None,
        "maintenance": None,
        "paused": False,
        "paused_until": None,
        "last_success": to_iso(NOW - 7200),
        "last_success_snapshot": "0123456789abcdef",
        "last_run": {
            "outcome": "success",
            "counted_success": True,
            "snapshot_id": "0123456789abcdef",
            "message": "Backup completed.",
            "exit_code": 0,
        },
        "warning": False,
        "warning_message": None,
        "next_backup_earliest": to_iso(NOW + 3600),
        "reason": "too_soon",
        "reason_text": "too soon after the previous backup",
        "config_error": None,
        "pause_seconds": 28800,
    }
    base.update(overrides)
    return base


RUNNING = {
    "running": True,
    "progress": {
        "fraction": 0.43,
        "percent": 43.0,
        "files_done": 1234,
        "total_files": 5000,
        "bytes_done": 1_300_000_000,
        "total_bytes": 3_600_000_000,
        "seconds_elapsed": 60,
        "eta_seconds": 180,
        "current_files": [],
    },
    "current_run": {"stopping": False, "trigger": "idle"},
}
FAILED_RUN = {
    "last_run": {
        "outcome": "failed",
        "counted_success": False,
        "reason": "wrong_password",
        "message": "Wrong repository password (check RESTIC_PASSWORD in env.json).",
        "exit_code": 12,
    }
}


def labels(view_status: dict[str, Any] | None, **kw: Any) -> list[str]:
    return [e.label for e in tray_view(view_status, NOW, **kw).entries() if not e.separator]


@pytest.mark.parametrize(
    ("overrides", "state"),
    [
        pytest.param({}, IconState.OK, id="ok"),
        pytest.param(RUNNING, IconState.BACKING_UP, id="running"),
        pytest.param(
            {"paused": True, "paused_until": to_iso(NOW + 3600)}, IconState.PAUSED, id="paused"
        ),
        pytest.param({"warning": True}, IconState.WARNING, id="warning"),
        pytest.param(FAILED_RUN, IconState.ERROR, id="last-run-failed"),
        pytest.param(
            {"config_error": ["settings.json: args: missing"]}, IconState.ERROR, id="config-error"
        ),
        pytest.param(
            {**RUNNING, "warning": True}, IconState.BACKING_UP, id="running-beats-warning"
        ),
        pytest.param(
            {**FAILED_RUN, "paused": True, "paused_until": to_iso(NOW + 60)},
            IconState.PAUSED,
            id="paused-beats-failure",
        ),
        pytest.param(
            {**RUNNING, "config_error": ["x"]}, IconState.ERROR, id="config-error-beats-all"
        ),
        pytest.param(
            {"last_run": {"outcome": "incomplete", "counted_success": True}},
            IconState.OK,
            id="ignored-exit-3-is-ok",
        ),
        pytest.param(
            {"last_run": {"outcome": "interrupted", "counted_success": False}},
            IconState.OK,
            id="a-stop-is-not-an-error",
        ),
    ],
)
def test_icon_state_per_situation(overrides: dict[str, Any], state: IconState) -> None:
    assert icon_state(status(**overrides)) is state


def test_starting_before_the_first_status() -> None:
    view = tray_view(None, NOW)

    assert view.state is IconState.STARTING
    assert view.tooltip == "restic-monitor — starting"
    assert [e.label for e in view.menu if not e.separator] == ["Starting…", "Quit"]


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        pytest.param({}, "Last backup 2 h ago", id="ok"),
        pytest.param(RUNNING, "Backing up 43 % · ETA 3 min", id="running"),
        pytest.param(
            {"paused": True, "paused_until": to_iso(NOW + 3.5 * 3600)},
            "Paused until 18:30",
            id="paused",
        ),
        pytest.param({"config_error": ["x"]}, "Configuration error — see menu", id="config"),
        pytest.param(
            {"reason": "needs_elevation", "reason_text": "needs admin"},
            "Needs administrator rights — see menu",
            id="elevation",
        ),
        pytest.param(
            {"warning": True, "last_success": to_iso(NOW - 3 * 86400)},
            "No backup for 3 days",
            id="warning",
        ),
        pytest.param(
            {"warning": True, "last_success": None, "last_run": None}, "No backup yet", id="never"
        ),
        pytest.param(
            FAILED_RUN,
            "Last backup failed: Wrong repository password (check RESTIC_PASSWORD in env.json)",
            id="failed",
        ),
    ],
)
def test_tooltip_is_one_line_per_state(overrides: dict[str, Any], text: str) -> None:
    line = tooltip(status(**overrides), NOW)

    assert line == text
    assert "\n" not in line


def test_menu_when_all_is_well() -> None:
    view = tray_view(status(), NOW)

    assert labels(status()) == [
        "Last backup: 2 h ago (13:00) · snapshot 01234567",
        "Next backup: too soon after the previous backup (not before 16:00)",
        "Back up now",
        "Pause for 8 hours",
        "Open restic shell",
        "History…",
        "Logs",
        "Application log",
        "Last restic log",
        "Open logs folder",
        "Open configuration folder",
        "Reload configuration",
        "Quit",
    ]
    info = [e for e in view.menu if e.action is None and not e.separator and not e.children]
    assert all(not e.enabled for e in info), "status lines are information, not commands"


def test_menu_while_backing_up_offers_stop_and_shows_progress() -> None:
    view = tray_view(status(**RUNNING), NOW)
    shown = labels(status(**RUNNING))

    assert "Backing up: 43.0 %, 1,234/5,000 files, 1.2 GiB/3.4 GiB, ETA 3 min" in shown
    assert view.find(Action.STOP) is not None
    assert view.find(Action.BACKUP) is None
    assert not any(text.startswith("Next backup") for text in shown)


def test_menu_while_stopping_disables_stop() -> None:
    running = {**RUNNING, "current_run": {"stopping": True}}
    view = tray_view(status(**running), NOW)

    stop = view.find(Action.STOP)
    assert stop is not None and not stop.enabled
    assert "Stopping…" in labels(status(**running))


def test_menu_while_paused_offers_resume() -> None:
    paused = {
        "paused": True,
        "paused_until": to_iso(NOW + 3600),
        "reason": "paused",
        "reason_text": "backups are paused",
    }
    view = tray_view(status(**paused), NOW)

    assert view.find(Action.RESUME) is not None
    assert view.find(Action.PAUSE) is None
    assert "Paused until 16:00" in labels(status(**paused))


@pytest.mark.parametrize(
    ("seconds", "label"),
    [
        (28800, "Pause for 8 hours"),
        (1800, "Pause for 30 minutes"),
        (3600, "Pause for 1 hour"),
        (5400, "Pause for 1 hour 30 minutes"),
        (172800, "Pause for 2 days"),
    ],
)
def test_pause_label_follows_pause_seconds(seconds: float, label: str) -> None:
    entry = tray_view(status(pause_seconds=seconds), NOW).find(Action.PAUSE)

    assert entry is not None and entry.label == label


def test_menu_with_configuration_error_lists_every_problem_and_the_way_out() -> None:
    problems = [f"settings.json: key{i}: unknown setting" for i in range(10)]
    view = tray_view(status(config_error=problems), NOW)
    shown = labels(status(config_error=problems))

    assert "Configuration error:" in shown
    assert all(f"  {p}" in shown for p in problems[:7])
    more = next(e for e in view.menu if e.label == "  3 more problems")
    assert [e.label for e in more.children] == problems[7:]  # every problem is in the menu
    backup = view.find(Action.BACKUP)
    assert backup is not None and not backup.enabled
    for action in (Action.CONFIG_FOLDER, Action.RELOAD, Action.QUIT):
        entry = view.find(action)
        assert entry is not None and entry.enabled


def test_menu_on_battery_says_why_no_backup_starts() -> None:
    on_battery = status(
        reason="on_battery",
        reason_text="on battery power (skip_on_battery is true)",
        next_backup_earliest=None,
    )

    assert icon_state(on_battery) is IconState.OK
    assert "Next backup: on battery power (skip_on_battery is true)" in labels(on_battery)


def test_menu_lists_problems_that_do_not_stop_backups() -> None:
    problem = "writing the restic log failed: No space left on device"

    assert f"Problem: {problem}" in labels(status(warnings=[problem]))


def test_menu_and_tooltip_show_a_stalled_backup() -> None:
    stalled = {**RUNNING, "current_run": {"stalled": True, "seconds_since_progress": 400}}

    assert tooltip(status(**stalled), NOW) == "Backing up — stalled, no progress for 6 min 40 s"
    assert "⚠ Stalled: no progress for 6 min 40 s" in labels(status(**stalled))


def test_menu_after_a_failure_says_why() -> None:
    shown = labels(status(**FAILED_RUN))

    assert "Last run failed: Wrong repository password (check RESTIC_PASSWORD in env.json)" in shown


def test_menu_shows_the_warning_and_never_when_nothing_was_backed_up() -> None:
    never = status(
        last_success=None,
        last_run=None,
        warning=True,
        warning_message="No successful backup has been recorded yet.",
        reason="not_idle",
        reason_text="waiting for you to be away (not idle yet)",
    )
    shown = labels(never)

    assert shown[:3] == [
        "Last backup: never",
        "⚠ No successful backup has been recorded yet.",
        "Next backup: waiting for you to be away (not idle yet)",
    ]


def test_every_command_has_a_unique_mnemonic() -> None:
    for overrides in ({}, RUNNING, {"paused": True, "paused_until": to_iso(NOW + 60)}):
        view = tray_view(status(**overrides), NOW)
        top = [e for e in view.menu if e.action is not None or e.children]
        keys = [e.text[e.text.index("&") + 1].lower() for e in top]
        assert len(keys) == len(set(keys)), keys
        sub = next(e for e in view.menu if e.children).children
        sub_keys = [e.text[e.text.index("&") + 1].lower() for e in sub]
        assert len(sub_keys) == len(set(sub_keys))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "just now"),
        (300, "5 min ago"),
        (7200, "2 h ago"),
        (47 * 3600, "47 h ago"),
        (3 * 86400, "3 days ago"),
        (-50, "just now"),
    ],
)
def test_ago(seconds: float, text: str) -> None:
    assert ago(seconds) == text


def test_clock_time_today_this_week_and_older() -> None:
    assert clock_time(NOW - 3600, NOW) == "14:00"
    assert clock_time(NOW - 2 * 86400, NOW)[:3].isalpha()
    assert clock_time(NOW - 30 * 86400, NOW).startswith("2026-10-28")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 second"), (60, "1 minute"), (90061, "1 day 1 hour"), (7200, "2 hours")],
)
def test_duration_words(seconds: float, text: str) -> None:
    assert duration_words(seconds) == text


def test_the_last_success_keeps_its_snapshot_after_a_later_failure() -> None:
    failed_later = status(**FAILED_RUN)

    assert "Last backup: 2 h ago (13:00) · snapshot 01234567" in labels(failed_later)


def test_exit_3_not_ignored_is_an_error_the_icon_and_tooltip_agree_with_the_notice() -> None:
    incomplete = status(
        last_run={
            "outcome": "incomplete",
            "counted_success": False,
            "exit_code": 3,
            "message": "Some files could not be read.",
        }
    )
    view = tray_view(incomplete, NOW)

    assert view.state is IconState.ERROR
    assert view.tooltip == "Last backup incomplete: Some files could not be read"
    assert "Last run incomplete: Some files could not be read" in labels(incomplete)

    ignored = status(last_run={**incomplete["last_run"], "counted_success": True})
    assert tray_view(ignored, NOW).state is IconState.OK
