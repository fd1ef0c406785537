"""Idle footprint: what the instances cost while they wait for the user to be away.

All the processes run side by side in the same window on the same X server: the bare
interpreter (the floor), the headless daemon and the tray, each with one profile and with
two (two repositories), so that the machine's noise falls on all of them alike.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path

from tests.desktop import Desktop  # the tests' real-desktop harness

from benchmarks.common import (
    PY,
    Result,
    Sample,
    cli_env,
    make_home,
    make_repo,
    mb,
    sample,
    start_instance,
    stop,
    wait_for,
)

FLOOR = "bare Python (floor)"
HEADLESS_1 = "headless daemon, 1 profile (`run --headless`, idle source x11)"
HEADLESS_2 = "headless daemon, 2 profiles"
TRAY_1 = "tray, 1 profile (`run`, idle source x11)"
TRAY_2 = "tray, 2 profiles"
MINIMAL = "reference: a minimal PySide6 tray (icon and menu)"
MINIMAL_TRAY = str(Path(__file__).with_name("minimal_tray.py"))


def _panel_width(desk: Desktop) -> int:
    window = desk._trayer_window()
    if window is None:
        return 0
    geometry = desk.run(["xdotool", "getwindowgeometry", "--shell", window]).stdout
    values = dict(line.split("=", 1) for line in geometry.split() if "=" in line)
    return int(values.get("WIDTH", 0))


def bench_idle(tmp: Path, seconds: float, interval: float = 15.0) -> Result:
    desk = Desktop(tmp / "desk").start()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    trace: list[dict[str, Sample]] = []
    stamps: list[float] = []
    try:
        first = make_repo(tmp / "repo-1")
        second = make_repo(tmp / "repo-2")
        waiting = {"min_idle_seconds": 86400, "no_backup_warning_seconds": 864000}
        homes = {
            HEADLESS_1: make_home(tmp / "headless-1", first, **waiting),
            HEADLESS_2: make_home(tmp / "headless-2", first, second, **waiting),
            TRAY_1: make_home(tmp / "tray-1", first, **waiting),
            TRAY_2: make_home(tmp / "tray-2", first, second, **waiting),
        }
        # One backup each beforehand, as a home that is in use has: a home that never
        # backed up warns at once, and a notice loads the desktop's D-Bus client (1.1 MB).
        for home in homes.values():
            subprocess.run([PY, "-m", "restic_monitor", "--home", str(home), "backup"],
                           env=cli_env(), check=True, capture_output=True)  # fmt: skip
        env = cli_env(desk.env)
        procs[FLOOR] = subprocess.Popen([PY, "-c", "import time; time.sleep(10**7)"], env=cli_env())
        for name in (HEADLESS_1, HEADLESS_2):
            procs[name] = start_instance(homes[name], env, "--headless", "--idle-source", "x11")
        for name in (HEADLESS_1, HEADLESS_2):
            wait_for((homes[name] / "control.json").exists, 30)
        # The trays one after the other: each must have docked its own icon.
        for name in (TRAY_1, TRAY_2):
            width = _panel_width(desk)
            procs[name] = start_instance(homes[name], env, "--idle-source", "x11")
            wait_for((homes[name] / "control.json").exists, 30)
            wait_for(lambda w=width: _panel_width(desk) > w and desk.tray_icon_center(), 30)
        width = _panel_width(desk)
        procs[MINIMAL] = subprocess.Popen([PY, MINIMAL_TRAY], env=env)
        wait_for(lambda w=width: _panel_width(desk) > w, 30)
        time.sleep(10)  # let start-up settle (the trays hand memory back after 5 s)
        names = list(procs)
        ends = time.monotonic() + seconds
        number = 0
        while True:
            # The order of the reads rotates, so no process is always read first.
            order = names[number % len(names) :] + names[: number % len(names)]
            trace.append({name: sample(procs[name].pid) for name in order})
            stamps.append(time.monotonic())
            number += 1
            left = ends - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(interval, left))
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} ended during the window")
    finally:
        for proc in procs.values():
            stop(proc)
        desk.stop()

    window = stamps[-1] - stamps[0]
    per10 = 600 / window
    before, after = trace[0], trace[-1]
    middle = min(range(len(stamps)), key=lambda i: abs(stamps[i] - (stamps[0] + window / 2)))
    cpu: dict[str, float] = {}
    halves: dict[str, tuple[float, float]] = {}
    rows = []
    for name in procs:
        b, a, m = before[name], after[name], trace[middle][name]
        cpu[name] = (a.cpu - b.cpu) * 1000 * per10
        first_half = (m.cpu - b.cpu) * 1000 * 600 / (stamps[middle] - stamps[0])
        second_half = (a.cpu - m.cpu) * 1000 * 600 / (stamps[-1] - stamps[middle])
        halves[name] = (first_half, second_half)
        rss = [s[name].rss for s in trace]
        rows.append(
            [
                name,
                f"{cpu[name]:.1f} ms ({cpu[name] / 6000:.5f} %)",
                f"{first_half:.1f} / {second_half:.1f} ms",
                f"{(a.switches - b.switches) * per10:.0f}",
                mb(statistics.median(rss)),
                f"{mb(min(rss))}-{mb(max(rss))}",
                mb(a.hwm),
            ]
        )
    rss_end = {name: after[name].rss for name in procs}
    floor_rss = rss_end[FLOOR]
    comparison = [
        [
            "2 profiles / 1 profile, headless",
            _ratio(cpu[HEADLESS_2], cpu[HEADLESS_1]),
            f"{rss_end[HEADLESS_2] / rss_end[HEADLESS_1]:.3f} "
            f"({(rss_end[HEADLESS_2] - rss_end[HEADLESS_1]) / 1e6:+.1f} MB)",
        ],
        [
            "2 profiles / 1 profile, tray",
            _ratio(cpu[TRAY_2], cpu[TRAY_1]),
            f"{rss_end[TRAY_2] / rss_end[TRAY_1]:.3f} "
            f"({(rss_end[TRAY_2] - rss_end[TRAY_1]) / 1e6:+.1f} MB)",
        ],
        [
            "headless 1 profile above the floor",
            f"{cpu[HEADLESS_1] - cpu[FLOOR]:+.1f} ms",
            f"{(rss_end[HEADLESS_1] - floor_rss) / 1e6:+.1f} MB",
        ],
        [
            "tray 1 profile above the floor",
            f"{cpu[TRAY_1] - cpu[FLOOR]:+.1f} ms",
            f"{(rss_end[TRAY_1] - floor_rss) / 1e6:+.1f} MB",
        ],
        [
            "tray 1 profile above the minimal tray",
            f"{cpu[TRAY_1] - cpu[MINIMAL]:+.1f} ms",
            f"{(rss_end[TRAY_1] - rss_end[MINIMAL]) / 1e6:+.1f} MB",
        ],
    ]
    worst_headless = max(cpu[HEADLESS_1], cpu[HEADLESS_2])
    worst_tray = max(cpu[TRAY_1], cpu[TRAY_2])
    summary = [
        (
            "CPU while waiting, headless 1 / 2 profiles",
            f"{cpu[HEADLESS_1]:.1f} / {cpu[HEADLESS_2]:.1f} ms per 10 min",
            "under 60 ms",
            worst_headless < 60,
        ),
        (
            "CPU while waiting, tray 1 / 2 profiles",
            f"{cpu[TRAY_1]:.1f} / {cpu[TRAY_2]:.1f} ms per 10 min",
            "under 60 ms",
            worst_tray < 60,
        ),
        (
            "Resident memory, headless 1 / 2 profiles",
            f"{mb(rss_end[HEADLESS_1])} / {mb(rss_end[HEADLESS_2])}",
            "under 30 MB",
            max(rss_end[HEADLESS_1], rss_end[HEADLESS_2]) < 30e6,
        ),
        (
            "Resident memory, tray 1 / 2 profiles",
            f"{mb(rss_end[TRAY_1])} / {mb(rss_end[TRAY_2])}",
            "under 70 MB",
            max(rss_end[TRAY_1], rss_end[TRAY_2]) < 70e6,
        ),
        (
            "Resident memory, tray 1 profile above a minimal PySide6 tray",
            f"{(rss_end[TRAY_1] - rss_end[MINIMAL]) / 1e6:+.1f} MB "
            f"({mb(rss_end[TRAY_1])} / {mb(rss_end[MINIMAL])})",
            "within 8 MB",
            rss_end[TRAY_1] - rss_end[MINIMAL] <= 8e6,
        ),
    ]
    return Result(
        "Idle footprint: waiting for the user to be away",
        f"uv run python benchmarks/run.py --only idle (window: {window:.0f} s, scaled to "
        "10 min, all six processes side by side)",
        rows,
        [
            "process",
            "CPU per 10 min",
            "first / second half",
            "context switches per 10 min",
            f"RSS (median of {len(trace)} reads)",
            "RSS range",
            "peak RSS",
        ],
        [
            "Targets: CPU under 60 ms per 10 minutes (0.01 %); RSS headless under 30 MB, tray "
            "under 70 MB (Vorta, a comparable Qt tray app: ~114 MB).",
            "All six processes ran at the same time, on the same X server (Xvfb with trayer "
            "as tray host; both trays docked an icon), over the same window. Every instance "
            "waits with min_idle_seconds = 86400, so it only looks again at its longest sleep "
            "(5 min) and the tray refreshes its tooltip once a minute. The two-profile homes "
            "have a second profile in profiles/p2/ with a repository of its own. CPU is every "
            "thread's time on the CPU (/proc/PID/task/*/schedstat, nanoseconds); the context "
            "switches count every thread's wakeups (and preemptions). The two halves of the "
            f"window (each scaled to 10 min) show how steady a figure is; RSS was read every "
            f"{interval:.0f} s.",
        ],
        summary,
        tables=[(["comparison", "CPU", "RSS (at the end)"], comparison)],
    )


def _ratio(a: float, b: float) -> str:
    if b <= 0.05:
        return f"{a:.1f} vs {b:.1f} ms"
    return f"{a / b:.2f} ({a:.1f} vs {b:.1f} ms)"
