"""The engine's step in-process: what one wake-up of a waiting engine costs, per profile count.

Every wake-up of the daemon and the tray runs one ``Scheduler.step()``. Here the real
Scheduler runs on real home folders (its look at the files included) with a scripted
restic and a fake clock, so nothing but the step itself is timed.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Result, alternate

START = 1_800_000_000.0


class _ActiveUser:
    """An idle source that always sees the user active: the engine only waits."""

    name = "benchmark"
    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None

    def seconds(self) -> float | None:
        return 0.0

    def close(self) -> None:
        pass


class _Notices:
    def __init__(self) -> None:
        self.count = 0

    def notify(self, notice: Any) -> None:
        self.count += 1


def _home(root: Path, profiles: int, exe: Path) -> Path:
    """A home with ``profiles`` profiles, each backed up a minute before the clock starts."""
    for number in range(1, profiles + 1):
        folder = root if number == 1 else root / "profiles" / f"p{number}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "settings.json").write_text(
            json.dumps(
                {
                    "restic_exe": str(exe),
                    "args": ["backup", f"/data/p{number}"],
                    "min_idle_seconds": 300,
                    "min_seconds_between_backups": 3600,
                    "no_backup_warning_seconds": 864000,
                }
            )
        )
        env = {"RESTIC_REPOSITORY": f"/srv/repos/p{number}", "RESTIC_PASSWORD": f"pw-{number}"}
        (folder / "env.json").write_text(json.dumps(env))
        (folder / "env.json").chmod(0o600)
        marker = folder / "restic-last-successful.marker"
        marker.write_text("")
        os.utime(marker, (START - 60, START - 60))
    return root


class _Engine:
    def __init__(self, root: Path, profiles: int) -> None:
        from restic_monitor.engine.scheduler import Scheduler
        from restic_monitor.engine.scripted import ScriptedClock, ScriptedRunner
        from restic_monitor.paths import Home

        exe = root / "restic"
        root.mkdir(parents=True)
        exe.write_text("#!/bin/sh\nexit 99\n")  # never run: the runner is scripted
        exe.chmod(0o755)
        home = Home(_home(root / "home", profiles, exe))
        home.ensure()
        self.clock = ScriptedClock(START)
        self.runner = ScriptedRunner(self.clock)
        self.notices = _Notices()
        self.scheduler = Scheduler(
            home,
            _ActiveUser(),
            self.runner,
            notifier=self.notices,
            clock=self.clock,
            monotonic=self.clock.mono,
            power=lambda: False,
            restic_version=lambda exe: "0.14.0",
        )
        self.scheduler.load()
        self.profiles = profiles

    def steps(self, count: int) -> float:
        """Seconds per step, over ``count`` steps one simulated second apart."""
        step = self.scheduler.step
        clock = self.clock
        started = time.perf_counter()
        for _ in range(count):
            clock.advance(1.0)
            step(clock.now)
        return (time.perf_counter() - started) / count

    def reasons(self) -> list[str]:
        out = []
        for profile in self.scheduler.profiles.values():
            reason = getattr(profile.decision, "reason", profile.decision)
            out.append(str(getattr(reason, "value", reason)))
        return out


def _breakdown(engine: _Engine, steps: int) -> str:
    """Where a step's time goes: pieces timed alone, calls counted by cProfile."""
    import cProfile
    import pstats
    import timeit

    profiler = cProfile.Profile()
    profiler.enable()
    engine.steps(steps)
    profiler.disable()
    table = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def calls(path_end: str, name: str) -> tuple[int, float]:
        for (filename, _line, function), values in table.items():
            if function == name and filename.endswith(path_end):
                return values[1], values[3]  # calls, cumulative seconds
        return 0, 0.0

    n = engine.profiles
    decides, decide_time = calls("engine/scheduler.py", "decide")
    _, replace_time = calls("dataclasses.py", "replace")
    stats_calls, _ = calls("~", "<built-in method posix.stat>")
    scans, _ = calls("~", "<built-in method posix.scandir>")
    scheduler = engine.scheduler
    profile = next(iter(scheduler.profiles.values()))
    now = engine.clock.now

    def alone(func: Any, number: int) -> float:
        return min(timeit.repeat(func, number=number, repeat=5)) / number

    decide = alone(lambda: scheduler.decide(profile, now, 0.0), 2000)
    changed = alone(profile.config_changed, 2000)
    discover = alone(scheduler._profiles.discover, 200)
    publish = alone(scheduler.publish, 200)
    return (
        f"Where a {n}-profile step's time goes (each piece timed alone, best of 5; calls "
        f"counted with cProfile): every profile is decided {decides / steps / n:.0f} times "
        f"per step (in the step, and again in publish() so that status shows fresh "
        f"reasons), {decide * 1e6:.1f} µs each, of which dataclasses.replace() in "
        f"FutureAnchor.facts is about {replace_time / decide_time:.0%}; looking for new or "
        f"changed profiles (discover(), {stats_calls / steps:.0f} stat() and "
        f"{scans / steps:.0f} scandir() calls per step) takes {discover * 1e6:.0f} µs, "
        f"{changed * 1e6:.1f} µs of it per profile (config_changed); publish() takes "
        f"{publish * 1e6:.0f} µs, mostly its {n} decides."
    )


def bench_step(tmp: Path, rounds: int, batch: int) -> Result:
    counts = (1, 2, 10)
    engines = {n: _Engine(tmp / f"p{n}", n) for n in counts}
    for engine in engines.values():
        engine.steps(batch)  # warm the caches, settle the first look's writes
    results = alternate({str(n): (lambda e=e: e.steps(batch)) for n, e in engines.items()}, rounds)
    for n, engine in engines.items():
        if engine.runner.runs:
            raise RuntimeError(f"{n} profiles: the waiting engine started restic")
    medians = {n: statistics.median(results[str(n)]) for n in counts}
    rows = []
    for n in counts:
        values = results[str(n)]
        rows.append(
            [
                f"{n} profile{'s' if n > 1 else ''}",
                f"{medians[n] * 1e6:.0f} µs",
                f"{min(values) * 1e6:.0f} µs",
                f"{max(values) * 1e6:.0f} µs",
                f"{medians[n] / medians[1]:.2f}",
            ]
        )
    ratios2 = [a / b for a, b in zip(results["2"], results["1"], strict=True)]
    ratios10 = [a / b for a, b in zip(results["10"], results["1"], strict=True)]
    per_profile = (medians[10] - medians[1]) / 9
    fixed = medians[1] - per_profile
    breakdown = _breakdown(engines[10], batch)
    reasons = sorted(set(engines[10].reasons()))
    notes = [
        f"Each figure is the median over {rounds} batches of {batch} steps, the three engines "
        "taking turns batch by batch (rotated order). Pair-wise ratios, batch against the "
        f"1-profile batch of the same round: 2 profiles {statistics.median(ratios2):.2f} "
        f"({min(ratios2):.2f}-{max(ratios2):.2f}), 10 profiles "
        f"{statistics.median(ratios10):.2f} ({min(ratios10):.2f}-{max(ratios10):.2f}).",
        f"From the medians, a step costs about {fixed * 1e6:.0f} µs plus "
        f"{per_profile * 1e6:.0f} µs per profile. A waiting engine wakes about twice per 10 "
        "minutes (its longest sleep is 5 min), so with 10 profiles its steps take about "
        f"{2 * medians[10] * 1e3:.1f} ms of CPU per 10 minutes, with 1 profile "
        f"{2 * medians[1] * 1e3:.2f} ms: next to the idle figures, the step is not where a "
        "waiting instance's time goes.",
        "The home is real (files on disk: every step looks for new or changed profiles), "
        "restic is scripted (engine.scripted.ScriptedRunner), the clock is fake and moves one "
        "second per step, the user is always active, every profile backed up a minute "
        f"before: the engine only waits (reasons: {', '.join(reasons)}).",
        breakdown,
    ]
    summary = [
        (
            "Engine step while waiting, 1 / 2 / 10 profiles",
            " / ".join(f"{medians[n] * 1e6:.0f}" for n in counts)
            + f" µs (10/1: {medians[10] / medians[1]:.1f}x)",
            "-",
            True,
        )
    ]
    return Result(
        "Engine step: one wake-up's work, in-process",
        f"uv run python benchmarks/run.py --only step ({rounds} rounds of {batch} steps each)",
        rows,
        ["home", "median per step", "min (batch)", "max (batch)", "ratio to 1 profile"],
        notes,
        summary,
    )
