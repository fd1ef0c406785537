"""A deterministic engine for tests: the real Scheduler, a scripted restic, a fake clock.

No thread, no sleep, no process: time moves when the test says so, restic's
runs end when the test says how, and every step's answer (what started, when
to look again) can be asserted exactly. The ScriptedRunner refuses a second
run while one is unfinished, so every test here also checks that no two
restic processes of a home ever run at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from restic_monitor.engine.profile import ProfileRuntime
from restic_monitor.engine.scheduler import Scheduler
from restic_monitor.engine.scripted import ScriptedClock, ScriptedRun, ScriptedRunner
from restic_monitor.notify import Notice
from restic_monitor.paths import Home
from restic_monitor.platform.idle import FixedIdle
from restic_monitor.status.build import build_status
from restic_monitor.status.model import ProfileStatus, Status

START = 1_800_000_000.0


class FakeClock(ScriptedClock):
    def __init__(self, now: float = START) -> None:
        super().__init__(now)


class ManualIdle:
    """An idle counter the test sets; it grows with the fake clock like a real one."""

    name = "manual"
    grows_on_its_own = True
    refresh: float | None = None

    def __init__(self, clock: FakeClock, seconds: float | None = 0.0, *, sees_user: bool = True):
        self.clock = clock
        self.reports_activity = sees_user
        self._base = seconds
        self._at = clock.mono()

    def set(self, seconds: float | None) -> None:
        self._base = seconds
        self._at = self.clock.mono()

    def seconds(self) -> float | None:
        if self._base is None:
            return None
        return self._base + (self.clock.mono() - self._at)

    def close(self) -> None:
        pass


#: Like ``--idle-source fixed:N``: a constant that cannot see a user at all.
FixedIdleSource = FixedIdle


class Notices:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)

    def titles(self) -> list[str]:
        return [n.title for n in self.notices]

    def kinds(self) -> list[str]:
        return [n.kind for n in self.notices]


def write_profile(
    home: Home,
    name: str,
    restic_exe: Path,
    *,
    repository: str | None = None,
    password: str | None = None,
    **settings: Any,
) -> None:
    paths = home.profile(name)
    paths.root.mkdir(parents=True, exist_ok=True)
    values: dict[str, Any] = {
        "restic_exe": str(restic_exe),
        "args": ["backup", f"/data/{name}"],
        "min_idle_seconds": 300,
        "min_seconds_between_backups": 3600,
        "no_backup_warning_seconds": 86400,
        # Maintenance is off unless a test turns it on: the backup tests count runs.
        "check_every_seconds": 0,
    }
    values.update(settings)
    paths.settings_json.write_text(json.dumps(values), encoding="utf-8")
    env = {
        "RESTIC_REPOSITORY": repository or f"/srv/repos/{name}",
        "RESTIC_PASSWORD": password or f"password-of-{name}",
    }
    paths.env_json.write_text(json.dumps(env), encoding="utf-8")
    paths.env_json.chmod(0o600)


class Rig:
    def __init__(self, root: Path, idle: Any = None, *, automatic: bool = True) -> None:
        self.home = Home(root / "home")
        self.home.ensure()
        self.exe = root / "restic"
        self.exe.write_text("#!/bin/sh\nexit 99\n")  # never run: the runner is scripted
        self.exe.chmod(0o755)
        self.clock = FakeClock()
        self.idle = idle if idle is not None else ManualIdle(self.clock, 0.0)
        self.runner = ScriptedRunner(self.clock)
        self.notices = Notices()
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.automatic = automatic
        self.on_battery = False
        self.metered: bool | None = False
        self._engine: Scheduler | None = None

    def profile(self, name: str = "default", **settings: Any) -> None:
        exe = settings.pop("restic_exe", self.exe)
        write_profile(self.home, name, exe, **settings)

    @property
    def engine(self) -> Scheduler:
        if self._engine is None:
            self._engine = Scheduler(
                self.home,
                self.idle,
                self.runner,
                notifier=self.notices,
                automatic=self.automatic,
                clock=self.clock,
                monotonic=self.clock.mono,
                power=lambda: self.on_battery,
                network=lambda: self.metered,
                emit=lambda event, **data: self.events.append((event, data)),
                restic_version=lambda exe: "0.14.0",
            )
            self._engine.load()
        return self._engine

    def step(self) -> float:
        return self.engine.step()

    def advance(self, seconds: float) -> float:
        self.clock.advance(seconds)
        return self.step()

    @property
    def run(self) -> ScriptedRun:
        run = self.runner.current
        assert run is not None, "no restic is running"
        return run

    def finish(self, exit_code: int | None = 0, **kw: Any) -> None:
        self.run.finish(exit_code, **kw)
        self.step()

    def status(self) -> Status:
        return build_status(str(self.home.root), self.engine.view, self.clock())

    def of(self, name: str) -> ProfileStatus:
        found = self.status().profile(name)
        assert found is not None
        return found

    def runtime(self, name: str = "default") -> ProfileRuntime:
        return self.engine.profiles[name]

    def started(self) -> list[tuple[str, str]]:
        """(profile, first restic word) of every run so far, in order."""
        out = []
        for run in self.runner.runs:
            repo = run.env.get("RESTIC_REPOSITORY", "")
            out.append((repo.rsplit("/", 1)[-1], run.argv[1]))
        return out
