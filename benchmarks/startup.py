"""Start-up (launch to tray icon, to control channel) and the status round trip."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from pathlib import Path

from tests.desktop import Desktop  # the tests' real-desktop harness

from benchmarks.common import (
    CLI,
    PY,
    Result,
    Timed,
    alternate,
    cli_env,
    fmt_ratio,
    make_home,
    make_repo,
    paired_ratio,
    start_instance,
    stats,
    stop,
    timed_run,
    wait_for,
)

# --- start-up ----------------------------------------------------------------------


MINIMAL_TRAY = str(Path(__file__).with_name("minimal_tray.py"))


def _time_to_icon(desk: Desktop, argv: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(desk.tray_icon_center, 30)
        return time.monotonic() - started
    finally:
        stop(proc)
        wait_for(lambda: desk.tray_icon_center() is None, 15)


def bench_startup(tmp: Path, runs: int) -> Result:
    env = make_repo(tmp / "repo")
    desk = Desktop(tmp / "desk").start()
    try:
        icon_times, minimal_times, ready_times = [], [], []
        for i in range(runs):  # the tray, the minimal tray and headless take turns
            home = make_home(tmp / f"tray-{i}", env, min_idle_seconds=86400)
            tray = [PY, "-m", "restic_monitor", "--home", str(home), "run", "--idle-source", "x11"]
            first, second = (tray, [PY, MINIMAL_TRAY]) if i % 2 == 0 else ([PY, MINIMAL_TRAY], tray)
            a = _time_to_icon(desk, first, cli_env(desk.env))
            b = _time_to_icon(desk, second, cli_env(desk.env))
            ours, minimal = (a, b) if i % 2 == 0 else (b, a)
            icon_times.append(ours)
            minimal_times.append(minimal)
            home = make_home(tmp / f"headless-{i}", env, min_idle_seconds=86400)
            started = time.monotonic()
            proc = start_instance(home, cli_env(), "--headless", "--idle-source", "fixed:0")
            wait_for(lambda h=home: (h / "control.json").exists(), 30)
            ready_times.append(time.monotonic() - started)
            stop(proc)
    finally:
        desk.stop()
    ratios = [o / m for o, m in zip(icon_times, minimal_times, strict=True)]
    rows = [
        ["launch to tray icon docked (`run`)", *stats(icon_times), "1.5 s"],
        ["reference: a minimal PySide6 tray (icon and menu)", *stats(minimal_times), "-"],
        [
            "ratio, pair-wise (`run` / minimal tray)",
            f"{statistics.median(ratios):.2f}",
            f"{min(ratios):.2f}",
            f"{max(ratios):.2f}",
            "1.3",
        ],
        ["launch to control channel ready (`run --headless`)", *stats(ready_times), "-"],
    ]
    summary = [
        (
            "Launch to tray icon",
            stats(icon_times)[0] + f" (median), {statistics.median(ratios):.2f}x a minimal tray",
            "1.5 s; 1.3x",
            statistics.median(icon_times) < 1.5 and statistics.median(ratios) <= 1.3,
        ),
    ]
    return Result(
        "Start-up",
        f"uv run python benchmarks/run.py --only startup ({runs} launches each, taking turns)",
        rows,
        ["what", "median", "min", "max", "target"],
        [
            "One profile. The icon is 'visible' when trayer's panel has grown to hold it at the "
            "screen's right edge (polled every 5 ms); the headless daemon is ready when its "
            "control.json exists. The minimal tray (benchmarks/minimal_tray.py) is the "
            "reference: a PySide6 QApplication with an icon and a five-entry menu; it and the "
            "tray take turns, in alternating order, and the ratio is taken pair by pair."
        ],
        summary,
    )


# --- status round trip ----------------------------------------------------------------

FLOOR = "floor: `python -c pass`"
LIVE_1 = "running instance, 1 profile"
LIVE_2 = "running instance, 2 profiles"
FILES_1 = "no instance (from the files), 1 profile"
FILES_2 = "no instance (from the files), 2 profiles"


def _status(home: Path, env: dict[str, str]) -> Timed:
    return timed_run([CLI, "--home", str(home), "status", "--json"], env)


def _check(home: Path, env: dict[str, str], profiles: int, live: bool) -> None:
    out = subprocess.run(
        [CLI, "--home", str(home), "status", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    shown = json.loads(out)
    names = [p["name"] for p in shown["profiles"]]
    if len(names) != profiles:
        raise RuntimeError(f"{home}: expected {profiles} profiles in status, got {names}")
    running = (home / "control.json").exists()
    if running != live:
        raise RuntimeError(f"{home}: instance running is {running}, expected {live}")


THIS_M = "this code, running instance, 1 profile, `python -m restic_monitor`"


def _baseline_name(ref: str) -> str:
    return f"commit {ref}, running instance, 1 profile, `python -m restic_monitor`"


def bench_status(tmp: Path, rounds: int, baseline: tuple[str, Path] | None = None) -> Result:
    """``baseline``: (a commit, its src/ exported) to measure in the same alternation."""
    first = make_repo(tmp / "repo-1")
    second = make_repo(tmp / "repo-2")
    waiting = {"min_idle_seconds": 86400}
    homes = {
        LIVE_1: (make_home(tmp / "live-1", first, **waiting), 1, True),
        LIVE_2: (make_home(tmp / "live-2", first, second, **waiting), 2, True),
        FILES_1: (make_home(tmp / "files-1", first, **waiting), 1, False),
        FILES_2: (make_home(tmp / "files-2", first, second, **waiting), 2, False),
    }
    env = cli_env()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        # Every home has run an instance once (history, logs), the "no instance" ones no longer.
        for name, (home, _, _) in homes.items():
            procs[name] = start_instance(home, env, "--headless", "--idle-source", "fixed:0")
        for home, _, _ in homes.values():
            wait_for((home / "control.json").exists, 30)
        for name in (FILES_1, FILES_2):
            stop(procs.pop(name))
            wait_for(lambda h=homes[name][0]: not (h / "control.json").exists(), 30)
        for home, profiles, live in homes.values():
            _check(home, env, profiles, live)
        measures = {FLOOR: lambda: timed_run([PY, "-c", "pass"], env)}
        for name, (home, _, _) in homes.items():
            measures[name] = lambda h=home: _status(h, env)
        if baseline is not None:
            ref, src = baseline
            old_env = {**env, "PYTHONPATH": str(src)}
            old_home = make_home(tmp / "baseline-1", first, **waiting)
            procs["baseline"] = start_instance(
                old_home, old_env, "--headless", "--idle-source", "fixed:0"
            )
            wait_for((old_home / "control.json").exists, 30)
            module = [PY, "-m", "restic_monitor", "--home"]
            live_1 = str(homes[LIVE_1][0])
            measures[THIS_M] = lambda: timed_run([*module, live_1, "status", "--json"], env)
            measures[_baseline_name(ref)] = lambda: timed_run(
                [*module, str(old_home), "status", "--json"], old_env
            )
        results = alternate(measures, rounds)
        channel = _channel(homes[LIVE_1][0], homes[LIVE_2][0], rounds)
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"the instance of {name} ended during the measurement")
    finally:
        for proc in procs.values():
            stop(proc)

    wall = {name: [t.wall for t in values] for name, values in results.items()}
    cpu = {name: [t.cpu for t in values] for name, values in results.items()}
    rows = []
    extra = [THIS_M, _baseline_name(baseline[0])] if baseline is not None else []
    for name in (LIVE_1, LIVE_2, FILES_1, FILES_2, FLOOR, *extra):
        shown = (
            name
            if name == FLOOR or name in extra
            else f"`restic-monitor --home H status --json`, {name}"
        )
        rows.append(
            [
                shown,
                *stats(wall[name]),
                stats(cpu[name])[0],
                "150 ms" if name != FLOOR else "-",
            ]
        )
    for name, values in channel.items():
        rows.append(
            [
                f"  the control channel's `status` call alone, {name}",
                f"{statistics.median(values) * 1e3:.2f} ms",
                f"{min(values) * 1e3:.2f} ms",
                f"{max(values) * 1e3:.2f} ms",
                "",
                "-",
            ]
        )
    pairs = [
        ("2 profiles / 1 profile, running instance", LIVE_2, LIVE_1),
        ("2 profiles / 1 profile, from the files", FILES_2, FILES_1),
        ("1 profile: from the files / running instance", FILES_1, LIVE_1),
        ("running instance, 1 profile / floor", LIVE_1, FLOOR),
    ]
    if baseline is not None:
        pairs.append((f"this code / commit {baseline[0]} (`python -m`)", THIS_M, extra[1]))
    ratios = []
    for label, a, b in pairs:
        ratios.append(
            [
                label,
                fmt_ratio(paired_ratio(wall[a], wall[b])),
                f"{statistics.median(wall[a]) / statistics.median(wall[b]):.2f}",
                fmt_ratio(paired_ratio(cpu[a], cpu[b])),
            ]
        )
    live_1, live_2 = statistics.median(wall[LIVE_1]), statistics.median(wall[LIVE_2])
    files_1, files_2 = statistics.median(wall[FILES_1]), statistics.median(wall[FILES_2])
    two_one = paired_ratio(wall[LIVE_2], wall[LIVE_1])
    summary = [
        (
            "`status` round trip, running instance, 1 / 2 profiles",
            f"{live_1 * 1000:.0f} / {live_2 * 1000:.0f} ms (median; 2/1 pair-wise "
            f"{two_one[0]:.2f})",
            "150 ms",
            max(live_1, live_2) < 0.150,
        ),
        (
            "`status` from the files (no instance), 1 / 2 profiles",
            f"{files_1 * 1000:.0f} / {files_2 * 1000:.0f} ms (median)",
            "150 ms",
            max(files_1, files_2) < 0.150,
        ),
    ]
    return Result(
        "Status round trip: one profile and two, with and without a running instance",
        "uv run python benchmarks/run.py --only status"
        + (f" --baseline {baseline[0]}" if baseline is not None else "")
        + f" ({rounds} rounds, the {len(measures)} commands taking turns in a rotating order)",
        rows,
        ["what", "median", "min", "max", "CPU (median)", "target"],
        [
            "Every figure is a whole process, from its start to its exit, as a user or a "
            "script waits for it; CPU is the child's own user + system time. Each round runs "
            "every command once, one after the other, in an order that rotates every "
            "round (and runs backwards every other cycle), after one warm-up round; the "
            "ratios (the second table) are taken pair by pair within a round, so that the "
            "machine's drift falls on both sides of a ratio. The instances run `run --headless "
            "--idle-source "
            "fixed:0`; the two-profile homes have a second profile in profiles/p2/ with a "
            "repository of its own; the homes without an instance have run one once (history "
            "and logs exist). The output was checked to list 1 or 2 profiles. The control "
            "channel's call alone is timed in-process (one client, "
            f"{_CHANNEL_BATCH} calls per batch, the two instances taking turns).",
            *(
                [
                    f"--baseline {baseline[0]}: that commit's src/ (git archive) runs an "
                    "instance of its own on a home like the 1-profile one, and its status "
                    "takes turns with this code's in the same rounds, both started as "
                    "`python -m restic_monitor` (the older code had another console-script "
                    "entry point)."
                ]
                if baseline is not None
                else []
            ),
        ],
        summary,
        tables=[
            (
                ["ratio", "pair-wise, median (min-max)", "of the medians", "CPU pair-wise"],
                ratios,
            )
        ],
    )


_CHANNEL_BATCH = 20


def _channel(one: Path, two: Path, rounds: int) -> dict[str, list[float]]:
    from restic_monitor.control import connect
    from restic_monitor.paths import Home

    clients = {"1 profile": connect(Home(one)), "2 profiles": connect(Home(two))}

    def batch(client: object) -> float:
        started = time.perf_counter()
        for _ in range(_CHANNEL_BATCH):
            client.call("status")  # type: ignore[attr-defined]
        return (time.perf_counter() - started) / _CHANNEL_BATCH

    return alternate({name: (lambda c=c: batch(c)) for name, c in clients.items()}, rounds)
