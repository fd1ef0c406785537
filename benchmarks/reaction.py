"""Reaction: from the idle threshold to restic starting, on X11 and on Wayland."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.desktop import Desktop  # the tests' real-desktop harness
from tests.sway import Sway  # and their Wayland compositor

from benchmarks.common import (
    PASSWORD,
    PY,
    Result,
    cli_env,
    make_home,
    start_instance,
    stats,
    stop,
    wait_for,
)

# --- reaction ----------------------------------------------------------------------


def _fake_restic_recording_starts(tmp: Path) -> tuple[Path, Path]:
    fake = tmp / "fake-restic"
    record = tmp / "starts.txt"
    fake.write_text(
        f"#!{PY}\nimport sys, time\n"
        "if 'version' in sys.argv: print('restic 0.99.0 fake'); sys.exit(0)\n"
        f"open({str(record)!r}, 'a').write(f'{{time.time()}}\\n')\n"
    )
    fake.chmod(0o755)
    return fake, record


def _starts(record: Path) -> list[float]:
    return [float(x) for x in record.read_text().split()] if record.exists() else []


def _reaction_run(
    home: Path,
    env: dict[str, str],
    source: str,
    record: Path,
    settle: float,
    last_input: Callable[[], None],
) -> float:
    """Seconds from the idle threshold (3 s after the last input) to restic starting."""
    proc = start_instance(home, env, "--headless", "--idle-source", source)
    try:
        wait_for((home / "control.json").exists, 30)
        time.sleep(settle)
        last_input()
        touched = time.time()
        count = len(_starts(record))
        wait_for(lambda: len(_starts(record)) > count, 20, 0.05)
        return _starts(record)[-1] - (touched + 3)
    finally:
        stop(proc)


def bench_reaction(tmp: Path, runs: int) -> Result:
    fake, record = _fake_restic_recording_starts(tmp)

    def home(name: str) -> Path:
        return make_home(
            tmp / name,
            {"RESTIC_PASSWORD": PASSWORD},
            restic_exe=str(fake),
            args=["backup", "/x"],
            min_idle_seconds=3,
            min_seconds_between_backups=3600,
            low_priority=False,
        )

    x11: list[float] = []
    desk = Desktop(tmp / "desk").start()
    try:
        for i in range(runs):
            desk.run(["xdotool", "mousemove", "10", str(10 + i)])
            x11.append(
                _reaction_run(
                    home(f"x11-{i}"),
                    cli_env(desk.env),
                    "x11",
                    record,
                    0.5,
                    lambda i=i: desk.run(["xdotool", "mousemove", "200", str(200 + i)]),
                )
            )
    finally:
        desk.stop()

    # The Wayland protocols only say "idle for half a second"; how late the start is depends
    # on where the last input falls against the engine's looks, so the input moves
    # through a whole 3-second cycle of them.
    wayland: list[float] = []
    sway = Sway(Path(tempfile.mkdtemp(prefix="rm-sway-"))).start()
    try:
        env = cli_env(sway.env())
        env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent"
        steps = max(2, runs * 2)
        for i in range(steps):
            wayland.append(
                _reaction_run(
                    home(f"wayland-{i}"),
                    env,
                    f"wayland:{sway.socket}",
                    record,
                    0.2 + 3.0 * i / steps,
                    sway.type_key,
                )
            )
    finally:
        sway.cleanup()

    rows = [
        ["X11 (XScreenSaver): idle crosses min_idle_seconds → restic starts", *stats(x11), "1 s"],
        ["Wayland (sway, idle protocol): the same", *stats(wayland), "1 s"],
    ]
    summary = [
        (
            "Reaction to the idle threshold, X11",
            stats(x11)[0] + " (median)",
            "under 1 s",
            statistics.median(x11) < 1.0,
        ),
        (
            "Reaction to the idle threshold, Wayland",
            stats(wayland)[2] + " (max)",
            "under 1 s",
            max(wayland) < 1.0,
        ),
    ]
    return Result(
        "Reaction: from the idle threshold to restic starting",
        f"uv run python benchmarks/run.py --only reaction ({runs} X11 runs, {steps} Wayland runs)",
        rows,
        ["what", "median", "min", "max", "target"],
        [
            "X11: a real X server, the last input is an xdotool mouse move, min_idle_seconds is "
            "3, the idle source is XScreenSaver. The engine sleeps until exactly the moment the "
            "idle time can reach the threshold, then looks once; the figure includes starting "
            "the restic process (a stand-in that records its start time).",
            "Wayland: sway 'headless', the last input is a wtype key press, the source is the "
            "compositor's idle protocol. The compositor reports idleness only once half a second "
            "of it has passed, so when the engine looks sooner than that after the last input it "
            "sees 0 and wakes again a full min_idle_seconds later: the start is then up to half "
            "a second late. The runs move the last input across the engine's cycle to show the "
            "spread, not only the best case.",
        ],
        summary,
    )
