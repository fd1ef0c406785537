"""What the tray shows for each state: pure functions of the typed status, no Qt."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from restic_monitor.config.settings import Settings
from restic_monitor.isotime import to_iso
from restic_monitor.policy.backup import Decision, Reason
from restic_monitor.state.history import RunRecord
from restic_monitor.status.build import EngineView, JobView, ProfileView, build_status
from restic_monitor.status.model import (
    CurrentJob,
    CurrentRun,
    ProfileStatus,
    ProgressInfo,
    QueuedJob,
    RunInfo,
    Status,
)
from restic_monitor.tray.state import IconState, icon_state, tooltip
from restic_monitor.tray.view import MENU_LINE_CHARS, Action, Entry, TrayView, tray_view
from restic_monitor.tray.wording import ago, clock_time, duration_words

NOW = time.mktime((2026, 11, 27, 15, 0, 0, 0, 0, -1))


# --- building typed statuses -----------------------------------------------------------


def run(**overrides: Any) -> RunInfo:
    """A finished, successful backup run."""
    base: dict[str, Any] = {
        "id": 1,
        "started": to_iso(NOW - 7260),
        "ended": to_iso(NOW - 7200),
        "trigger": "idle",
        "exit_code": 0,
        "outcome": "success",
        "reason": None,
        "message": "Backup completed.",
        "counted_success": True,
        "snapshot_id": "0123456789abcdef",
        "files_new": 1,
        "files_changed": 2,
        "files_unmodified": 3,
        "data_added": 1000,
        "duration": 60.0,
        "kind": "backup",
        "profile": "default",
    }
    base.update(overrides)
    return RunInfo(**base)


def profile(name: str = "default", **overrides: Any) -> ProfileStatus:
    """A healthy profile: last backup two hours ago, nothing running."""
    base: dict[str, Any] = {
        "name": name,
        "running": False,
        "progress": None,
        "current_run": None,
        "queued": False,
        "paused": False,
        "paused_until": None,
        "last_success": to_iso(NOW - 7200),
        "last_success_age_seconds": 7200.0,
        "last_success_snapshot": "0123456789abcdef",
        "last_run": run(profile=name),
        "warning": False,
        "warning_message": None,
        "next_backup_earliest": to_iso(NOW + 3600),
        "reason": "too_soon",
        "reason_text": "too soon after the previous backup",
        "consecutive_failures": 0,
        "config_error": None,
        "unlock_pending": False,
        "pause_seconds": 28800,
        "hold": None,
        "hold_until": None,
        "warnings": [],
    }
    base.update(overrides)
    return ProfileStatus(**base)


def home(
    *profiles: ProfileStatus,
    warnings: list[str] | None = None,
    current_job: CurrentJob | None = None,
    queue: list[QueuedJob] | None = None,
) -> Status:
    """The home's status: the primary profile's keys at the top, as build_status does."""
    profiles = profiles or (profile(),)
    primary = profiles[0]
    top = {
        f.name: getattr(primary, f.name)
        for f in dataclasses.fields(Status)
        if hasattr(primary, f.name) and f.name not in ("warnings", "maintenance")
    }
    if warnings is None:
        warnings = [*primary.warnings]
        for other in profiles[1:]:
            warnings.extend(f"profile {other.name}: {w}" for w in other.warnings)
    maintenance = None
    if current_job is not None and current_job.profile == primary.name:
        maintenance = current_job.kind if current_job.kind != "backup" else None
    return Status(
        **top,
        version="test",
        home="/home/test",
        instance_running=True,
        maintenance=maintenance,
        idle_seconds=0.0,
        idle_source="fixed",
        warnings=warnings,
        profiles=list(profiles),
        current_job=current_job,
        queue=queue or [],
    )


def status(**overrides: Any) -> Status:
    """A one-profile home whose profile has ``overrides``."""
    return home(profile(**overrides))


PROGRESS = ProgressInfo(
    fraction=0.43,
    percent=43.0,
    files_done=1234,
    total_files=5000,
    bytes_done=1_300_000_000,
    total_bytes=3_600_000_000,
    seconds_elapsed=60,
    eta_seconds=180,
)


def current(**overrides: Any) -> CurrentRun:
    base: dict[str, Any] = {
        "started": to_iso(NOW - 60),
        "trigger": "idle",
        "pid": 4242,
        "stopping": False,
        "seconds_since_progress": 0.5,
        "stalled": False,
    }
    base.update(overrides)
    return CurrentRun(**base)


RUNNING: dict[str, Any] = {
    "running": True,
    "progress": PROGRESS,
    "current_run": current(),
    "reason": "running",
    "reason_text": "a backup is running",
}
FAILED: dict[str, Any] = {
    "last_run": run(
        outcome="failed",
        counted_success=False,
        reason="wrong_password",
        message="Wrong repository password (check RESTIC_PASSWORD in env.json).",
        exit_code=12,
        snapshot_id=None,
    ),
    "consecutive_failures": 1,
}
PAUSED: dict[str, Any] = {
    "paused": True,
    "paused_until": to_iso(NOW + 3600),
    "reason": "paused",
    "reason_text": "backups are paused",
}


def job(kind: str, name: str, progress: ProgressInfo | None = None) -> CurrentJob:
    return CurrentJob(
        kind=kind,
        profile=name,
        started=to_iso(NOW - 60),
        progress=progress,
        trigger="idle",
        pid=4242,
        stopping=False,
        stalled=False,
        seconds_since_progress=0.5,
    )


def labels(view_status: Status | None) -> list[str]:
    return [e.label for e in tray_view(view_status, NOW).entries() if not e.separator]


def top_labels(view: TrayView) -> list[str]:
    return [e.label for e in view.menu if not e.separator]


def submenu(view: TrayView, label: str) -> tuple[Entry, ...]:
    return next(e for e in view.menu if e.label == label).children


# --- one profile: as the tray always was -------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "state"),
    [
        pytest.param({}, IconState.OK, id="ok"),
        pytest.param(RUNNING, IconState.BACKING_UP, id="running"),
        pytest.param(PAUSED, IconState.PAUSED, id="paused"),
        pytest.param({"warning": True}, IconState.WARNING, id="warning"),
        pytest.param(FAILED, IconState.ERROR, id="last-run-failed"),
        pytest.param(
            {"config_error": ["settings.json: args: missing"]}, IconState.ERROR, id="config-error"
        ),
        pytest.param(
            {**RUNNING, "warning": True}, IconState.BACKING_UP, id="running-beats-warning"
        ),
        pytest.param({**FAILED, **PAUSED}, IconState.PAUSED, id="paused-beats-failure"),
        pytest.param(
            {**RUNNING, "config_error": ["x"]}, IconState.ERROR, id="config-error-beats-all"
        ),
        pytest.param(
            {"last_run": run(outcome="incomplete", counted_success=True)},
            IconState.OK,
            id="ignored-exit-3-is-ok",
        ),
        pytest.param(
            {"last_run": run(outcome="interrupted", counted_success=False)},
            IconState.OK,
            id="a-stop-is-not-an-error",
        ),
        pytest.param(
            {"reason": "needs_elevation", "reason_text": "needs admin"},
            IconState.ERROR,
            id="needs-elevation",
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
            {**PAUSED, "paused_until": to_iso(NOW + 3.5 * 3600)},
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
            FAILED,
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
        "Restore files…",
        "Open restic shell",
        "History…",
        "Logs",
        "Application log",
        "Last restic log",
        "Open logs folder",
        "Settings…",
        "Set up a backup…",
        "Open configuration folder",
        "Reload configuration",
        "Quit",
    ]
    assert [e.text for e in view.menu if e.action or e.children] == [
        "&Back up now",
        "&Pause for 8 hours",
        "R&estore files…",
        "Open restic &shell",
        "&History…",
        "&Logs",
        "Setti&ngs…",
        "Set &up a backup…",
        "Open &configuration folder",
        "Reload confi&guration",
        "&Quit",
    ]
    info = [e for e in view.menu if e.action is None and not e.separator and not e.children]
    # Drawn at full contrast (a disabled item is light grey): enabled, with no command.
    assert info and all(e.enabled for e in info)
    assert view.find(Action.PROBLEMS) is None, "nothing is wrong: no problems window offered"


def test_one_profile_commands_name_their_profile_even_when_it_is_not_default() -> None:
    view = tray_view(home(profile("cloud")), NOW)

    assert top_labels(view)[2:4] == ["Back up now", "Pause for 8 hours"]
    for action in (Action.BACKUP, Action.PAUSE, Action.SHELL, Action.LAST_LOG):
        entry = view.find(action)
        assert entry is not None and entry.profile == "cloud", action


def test_menu_while_backing_up_offers_stop_and_shows_progress() -> None:
    view = tray_view(status(**RUNNING), NOW)
    shown = labels(status(**RUNNING))

    assert "Backing up: 43.0 %, 1,234/5,000 files, 1.2 GiB/3.4 GiB, ETA 3 min" in shown
    assert view.find(Action.STOP) is not None
    assert view.find(Action.BACKUP) is None
    assert not any(text.startswith("Next backup") for text in shown)
    assert view.progress == pytest.approx(0.43)


def test_menu_while_stopping_disables_stop() -> None:
    stopping = status(**{**RUNNING, "current_run": current(stopping=True)})
    view = tray_view(stopping, NOW)

    stop = view.find(Action.STOP)
    assert stop is not None and not stop.enabled
    assert "Stopping…" in labels(stopping)


def test_menu_while_paused_offers_resume() -> None:
    view = tray_view(status(**PAUSED), NOW)

    assert view.find(Action.RESUME) is not None
    assert view.find(Action.PAUSE) is None
    assert "Paused until 16:00" in labels(status(**PAUSED))


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
    broken = status(config_error=problems, reason="config_error", reason_text="invalid")
    view = tray_view(broken, NOW)
    shown = labels(broken)

    # The file once, then each problem without it; the rest in the problems window.
    assert shown.count("Configuration error in settings.json:") == 1
    assert all(f"  key{i}: unknown setting" in shown for i in range(6))
    assert "  … and 4 more (Show problems…)" in shown
    assert view.find(Action.PROBLEMS) is not None
    backup = view.find(Action.BACKUP)
    assert backup is not None and not backup.enabled
    for action in (Action.CONFIG_FOLDER, Action.RELOAD, Action.QUIT):
        entry = view.find(action)
        assert entry is not None and entry.enabled
    assert not any(text.startswith("Next backup") for text in shown)


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
    assert f"Problem: {problem}" in labels(home(profile(), warnings=[problem]))


def test_menu_and_tooltip_show_a_stalled_backup() -> None:
    stalled = status(
        **{**RUNNING, "current_run": current(stalled=True, seconds_since_progress=400)}
    )

    assert tooltip(stalled, NOW) == "Backing up — stalled, no progress for 6 min 40 s"
    assert "⚠ Stalled: no progress for 6 min 40 s" in labels(stalled)


def test_menu_after_a_failure_says_why() -> None:
    shown = labels(status(**FAILED))

    assert "Last run failed: Wrong repository password (check RESTIC_PASSWORD in env.json)" in shown


def test_menu_shows_the_warning_and_never_when_nothing_was_backed_up() -> None:
    never = status(
        last_success=None,
        last_success_snapshot=None,
        last_run=None,
        warning=True,
        warning_message="No successful backup has been recorded yet.",
        reason="not_idle",
        reason_text="waiting for you to be away (not idle yet)",
    )

    assert labels(never)[:3] == [
        "Last backup: never",
        "⚠ No successful backup has been recorded yet.",
        "Next backup: waiting for you to be away (not idle yet)",
    ]


def test_the_last_success_keeps_its_snapshot_after_a_later_failure() -> None:
    assert "Last backup: 2 h ago (13:00) · snapshot 01234567" in labels(status(**FAILED))


def test_exit_3_not_ignored_is_an_error_the_icon_and_tooltip_agree_with_the_notice() -> None:
    incomplete_run = run(
        outcome="incomplete",
        counted_success=False,
        exit_code=3,
        message="Some files could not be read.",
    )
    incomplete = status(last_run=incomplete_run)
    view = tray_view(incomplete, NOW)

    assert view.state is IconState.ERROR
    assert view.tooltip == "Last backup incomplete: Some files could not be read"
    assert "Last run incomplete: Some files could not be read" in labels(incomplete)

    ignored = status(last_run=dataclasses.replace(incomplete_run, counted_success=True))
    assert tray_view(ignored, NOW).state is IconState.OK


def test_clearing_stale_locks_is_shown_without_a_profile_name_for_one_profile() -> None:
    shown = labels(home(profile(), current_job=job("unlock", "default")))

    assert "Clearing stale repository locks…" in shown


def test_a_restore_under_way_says_so_with_its_progress() -> None:
    waiting = labels(home(profile(), current_job=job("restore", "default")))
    assert "Restoring files…" in waiting
    going = labels(home(profile(), current_job=job("restore", "default", PROGRESS)))
    assert any(label.startswith("Restoring files: 43.0 %, 1,234/5,000 files") for label in going)


def test_every_command_has_a_unique_mnemonic() -> None:
    situations = [
        status(),
        status(**RUNNING),
        status(**PAUSED),
        home(profile("home", **RUNNING), profile("cloud", **FAILED)),
        home(profile("cloud", **PAUSED), profile("cold"), profile("c1", **PAUSED)),
    ]
    for situation in situations:
        view = tray_view(situation, NOW)
        menus = [view.menu, *(e.children for e in view.entries() if e.children)]
        for entries in menus:
            commands = [e for e in entries if e.action is not None or e.children]
            keys = [e.text[e.text.index("&") + 1].lower() for e in commands]
            assert len(keys) == len(set(keys)), keys


# --- new reasons ------------------------------------------------------------------------


def test_a_backup_stopped_where_activity_cannot_be_seen_waits_until_a_time() -> None:
    held = status(
        reason="held_after_stop",
        reason_text=Reason.HELD_AFTER_STOP.describe(),
        hold="time",
        hold_until=to_iso(NOW + 3600),
        next_backup_earliest=None,
    )

    assert (
        "Next backup: the last backup was stopped; automatic backups wait an hour "
        "(this idle source cannot tell when you come back) (not before 16:00)"
    ) in labels(held)
    assert icon_state(held) is IconState.OK


def test_a_stopped_backup_waits_for_the_user_to_come_back() -> None:
    waiting = status(
        reason="waiting_for_activity",
        reason_text=Reason.WAITING_FOR_ACTIVITY.describe(),
        hold="activity",
        next_backup_earliest=None,
    )

    assert (
        "Next backup: the last backup was stopped; waiting for you to come back and leave again"
        in labels(waiting)
    )


def _overdue_status() -> Status:
    """Through build_status, so that the words are the engine's own."""
    settings = Settings(args=("backup", "/data"))
    record = RunRecord(
        id=1,
        started=NOW - 4 * 86400 - 60,
        ended=NOW - 4 * 86400,
        trigger="idle",
        exit_code=0,
        outcome="success",
        counted_success=True,
        snapshot_id="feedbeef00",
    )
    decision = Decision(
        start=False,
        reason=Reason.RUNNING,
        wake_at=None,
        next_backup_earliest=None,
        warning=True,
        notify_warning=False,
    )
    view = EngineView(
        profiles=[ProfileView("default", settings, [], [record], NOW - 4 * 86400, None, decision)],
        current=JobView("backup", "default", "overdue", NOW - 30, False, None, 600.0),
    )
    return build_status("/home/test", view, NOW)


def test_an_overdue_backup_says_it_runs_although_you_are_active() -> None:
    overdue = _overdue_status()
    shown = labels(overdue)

    assert "Backing up: starting" in shown
    assert "Backing up although you are active: no backup for 4 days" in shown
    assert tray_view(overdue, NOW).state is IconState.BACKING_UP


def test_a_profile_waiting_in_the_queue_can_be_stopped() -> None:
    queued = home(
        profile("home", **RUNNING),
        profile(
            "cloud",
            queued=True,
            reason="queued",
            reason_text=Reason.QUEUED.describe(),
            next_backup_earliest=None,
        ),
        current_job=job("backup", "home", PROGRESS),
        queue=[QueuedJob("backup", "cloud", "manual")],
    )
    view = tray_view(queued, NOW)

    assert "Waiting: backup of cloud" in top_labels(view)
    assert "  Next backup: waiting for another restic job of this home to finish" in labels(queued)
    stop = view.find(Action.STOP, "cloud")
    assert stop is not None and stop.enabled
    assert view.find(Action.BACKUP, "cloud") is None


# --- several profiles ----------------------------------------------------------------------


def two_profiles(**cloud: Any) -> Status:
    return home(profile("default"), profile("cloud", **cloud))


def test_two_profiles_get_a_section_each_with_their_own_commands() -> None:
    view = tray_view(two_profiles(**FAILED), NOW)

    assert top_labels(view) == [
        "default",
        "  Last backup: 2 h ago (13:00) · snapshot 01234567",
        "  Next backup: too soon after the previous backup (not before 16:00)",
        "cloud",
        "  Last backup: 2 h ago (13:00) · snapshot 01234567",
        "  Last run failed: Wrong repository password (check RESTIC_PASSWORD in env.json)",
        "  Next backup: too soon after the previous backup (not before 16:00)",
        "Show problems…",
        "Back up all now",
        "Pause all for 8 hours",
        "Restore files…",
        "Open restic shell",
        "History…",
        "Logs",
        "Settings…",
        "Set up a backup…",
        "Open configuration folder",
        "Reload configuration",
        "Quit",
    ]
    for name in ("default", "cloud"):
        commands = submenu(view, name)
        assert [e.label for e in commands if not e.separator] == [
            "Back up now",
            "Pause for 8 hours",
            "Restore files…",
            "Open restic shell",
            "History…",
            "Last restic log",
            "Settings…",
            "Open configuration folder",
        ]
        assert all(e.profile == name for e in commands if not e.separator), name
    home_wide = [e for e in view.menu if e.action in (Action.BACKUP_ALL, Action.PAUSE)]
    assert [e.profile for e in home_wide] == [None, None]
    logs = [e for e in submenu(view, "Logs") if e.action is Action.LAST_LOG]
    assert [(e.label, e.profile) for e in logs] == [
        ("Last restic log: default", "default"),
        ("Last restic log: cloud", "cloud"),
    ]
    shells = submenu(view, "Open restic shell")
    assert [(e.action, e.profile) for e in shells] == [
        (Action.SHELL, "default"),
        (Action.SHELL, "cloud"),
    ]


def test_a_failing_profile_sets_the_icon_and_is_named_in_the_tooltip() -> None:
    failing = two_profiles(**FAILED)

    assert icon_state(failing) is IconState.ERROR
    assert tooltip(failing, NOW) == (
        "cloud: last backup failed: Wrong repository password (check RESTIC_PASSWORD in env.json)"
    )


def test_a_failing_profile_stays_visible_while_another_backs_up() -> None:
    busy = home(
        profile("default", **RUNNING),
        profile("cloud", **FAILED),
        current_job=job("backup", "default", PROGRESS),
    )
    view = tray_view(busy, NOW)

    assert view.state is IconState.ERROR
    assert view.progress == pytest.approx(0.43), "the ring still shows the backup"
    assert view.tooltip.startswith("cloud: last backup failed: Wrong repository password")
    assert view.tooltip.endswith(" · default: backing up 43 % · ETA 3 min")
    stop = view.find(Action.STOP, "default")
    assert stop is not None and view.find(Action.BACKUP, "default") is None
    assert view.find(Action.BACKUP, "cloud") is not None


def test_a_backup_that_has_not_reported_progress_yet_still_frames_the_icon() -> None:
    starting = home(
        profile("default", **{**RUNNING, "progress": None}),
        profile("cloud", **FAILED),
        current_job=job("backup", "default"),
    )
    idle = two_profiles(**FAILED)

    assert tray_view(starting, NOW).progress == 0.0
    assert tray_view(idle, NOW).progress is None
    assert "  Backing up: starting" in labels(starting)


def test_a_backup_of_one_profile_beats_a_pause_of_another() -> None:
    view = tray_view(home(profile("default", **RUNNING), profile("cloud", **PAUSED)), NOW)

    assert view.state is IconState.BACKING_UP
    assert view.tooltip == "default: backing up 43 % · ETA 3 min"
    assert view.find(Action.RESUME, "cloud") is not None
    assert "Resume all" in top_labels(view) and "Pause all for 8 hours" in top_labels(view)


@pytest.mark.parametrize(
    ("cloud", "state", "text"),
    [
        pytest.param(
            {"warning": True, "last_success": to_iso(NOW - 3 * 86400)},
            IconState.WARNING,
            "cloud: no backup for 3 days",
            id="warning",
        ),
        pytest.param(PAUSED, IconState.PAUSED, "cloud: paused until 16:00", id="paused"),
        pytest.param(
            {"config_error": ["settings.json: args: missing"]},
            IconState.ERROR,
            "cloud: configuration error — see menu",
            id="config",
        ),
        pytest.param(
            {"last_success": to_iso(NOW - 5 * 3600)},
            IconState.OK,
            "All 2 profiles backed up · oldest: cloud 5 h ago",
            id="ok",
        ),
        pytest.param(
            {"last_success": None, "last_run": None},
            IconState.OK,
            "cloud: no backup yet",
            id="never",
        ),
    ],
)
def test_the_worst_profile_sets_icon_and_tooltip(
    cloud: dict[str, Any], state: IconState, text: str
) -> None:
    view = tray_view(two_profiles(**cloud), NOW)

    assert view.state is state
    assert view.tooltip == text


def test_two_failing_profiles_name_the_first_and_count_the_other() -> None:
    both = home(profile("default", **FAILED), profile("cloud", **FAILED))

    assert tooltip(both, NOW).startswith("default: last backup failed: ")
    assert tooltip(both, NOW).endswith(" (and 1 more)")


def test_clearing_stale_locks_of_one_profile_is_named_in_a_home_with_several() -> None:
    view = tray_view(home(profile(), profile("cloud"), current_job=job("unlock", "cloud")), NOW)

    assert top_labels(view)[0] == "Clearing stale repository locks… (cloud)"


def test_problems_of_the_home_stay_on_top_and_a_profiles_own_go_to_its_section() -> None:
    cloud = profile("cloud", warnings=["env.json is readable by others"])
    status_ = home(profile(), cloud)
    status_ = dataclasses.replace(
        status_, warnings=["the run history cannot be written", *status_.warnings]
    )
    shown = top_labels(tray_view(status_, NOW))

    assert shown[0] == "Problem: the run history cannot be written"
    assert "  Problem: env.json is readable by others" in shown
    assert not any("profile cloud:" in line for line in shown)


def test_an_invalid_profile_cannot_be_backed_up_but_the_others_can() -> None:
    view = tray_view(two_profiles(config_error=["settings.json: args: missing"]), NOW)

    cloud = view.find(Action.BACKUP, "cloud")
    default = view.find(Action.BACKUP, "default")
    assert cloud is not None and not cloud.enabled
    assert default is not None and default.enabled
    assert "  Configuration error in settings.json:" in top_labels(view)
    every = view.find(Action.BACKUP_ALL)
    assert every is not None and every.enabled


def test_everything_paused_offers_only_resume_all() -> None:
    view = tray_view(home(profile("default", **PAUSED), profile("cloud", **PAUSED)), NOW)

    assert view.state is IconState.PAUSED
    assert "Resume all" in top_labels(view)
    assert not any(label.startswith("Pause all") for label in top_labels(view))


def test_the_profile_submenus_get_letters_the_home_entries_do_not_use() -> None:
    view = tray_view(home(profile("home"), profile("cloud")), NOW)

    titles = [e.text for e in view.menu if e.children][:2]
    # h is History…'s; c and l are the configuration folder's and Logs', u is Set up…'s;
    # o is home's now.
    assert titles == ["h&ome", "clou&d"]


# --- wording --------------------------------------------------------------------------------


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


# --- repository maintenance ------------------------------------------------------------


def _maintenance(**kinds: Any) -> Any:
    from restic_monitor.status.model import MaintenanceKindStatus, MaintenanceStatus

    off = MaintenanceKindStatus(last=None, next_due=None)
    values = {kind: kinds.get(kind, off) for kind in ("forget", "prune", "check")}
    return MaintenanceStatus(**values)


def test_a_repository_check_that_found_errors_is_red_with_its_line_and_tooltip() -> None:
    from restic_monitor.status.model import MaintenanceKindStatus

    failed_check = run(kind="check", outcome="failed", reason="check_errors",
                       message="The repository check found errors: pack 1 contains 2 errors",
                       counted_success=False)  # fmt: skip
    damaged = status(
        check_errors=True,
        maintenance=_maintenance(check=MaintenanceKindStatus(failed_check, to_iso(NOW + 3600))),
    )

    view = tray_view(damaged, NOW)
    assert view.state is IconState.ERROR
    assert view.tooltip == "Repository check found errors — see menu"
    labels = [e.label for e in view.entries()]
    assert "⚠ Repository check found errors — see the check's log" in labels


def test_the_menu_shows_the_last_check_and_the_next_due_maintenance() -> None:
    from restic_monitor.status.model import MaintenanceKindStatus

    good_check = run(kind="check", ended=to_iso(NOW - 3 * 86400))
    healthy = status(
        maintenance=_maintenance(
            check=MaintenanceKindStatus(good_check, to_iso(NOW + 4 * 86400)),
            forget=MaintenanceKindStatus(None, to_iso(NOW - 5)),
        )
    )

    view = tray_view(healthy, NOW)
    labels = [e.label for e in view.entries()]
    assert view.state is IconState.OK
    assert "Last check: 3 days ago, no errors" in labels
    assert "Next maintenance: forget, when you are next away" in labels


def test_problems_of_two_files_name_each_file_once_and_long_paths_keep_their_ends() -> None:
    folder = "/home/someone/.config/restic-monitor/profiles/a-rather-long-profile-name"
    problems = [
        f"{folder}/settings.json: args: expected a list of strings",
        f"{folder}/settings.json: progress: expected true or false",
        f"{folder}/env.json: RESTIC_PASSWORD: expected a string",
    ]
    shown = labels(status(config_error=problems, reason="config_error", reason_text="invalid"))

    headers = [line for line in shown if line.startswith("Configuration error in")]
    assert len(headers) == 2
    assert headers[0].startswith("Configuration error in /home/")
    assert headers[0].endswith("settings.json:") and "…" in headers[0]
    assert headers[1].endswith("env.json:")
    assert "  args: expected a list of strings" in shown
    assert "  RESTIC_PASSWORD: expected a string" in shown
    assert max(len(line) for line in shown) <= 72


def test_a_line_too_long_for_any_menu_is_cut_and_keeps_its_whole_text() -> None:
    reason = "restic said: " + "x" * 300
    view = tray_view(status(warnings=[reason]), NOW)

    line = next(e for e in view.entries() if e.label.startswith("Problem: restic said"))
    assert line.label.endswith("…") and len(line.label) <= MENU_LINE_CHARS
    assert line.full == f"Problem: {reason}"
    assert view.find(Action.PROBLEMS) is not None
