"""restic-monitor benchmarks: what the monitor costs while it waits, and while restic runs.

    uv run python benchmarks/run.py                 # everything (about 15 minutes)
    uv run python benchmarks/run.py --quick         # a short smoke run (figures not comparable)
    uv run python benchmarks/run.py --only pipeline # one benchmark: idle, startup, pipeline,
                                                    # overhead, reaction

Writes docs/benchmarks.md (or --out) with every figure, the command that produced it, the
machine, and the comparison taken in the same run. Needs Linux (it reads /proc), restic, and
for the tray figures Xvfb, trayer and xdotool, and sway and wtype for the Wayland one, as the
tests do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.desktop import Desktop  # noqa: E402 - the tests' real-desktop harness
from tests.sway import Sway  # noqa: E402 - and their Wayland compositor

PY = sys.executable
PASSWORD = "benchmark-password"


# --- measuring processes ----------------------------------------------------------


@dataclass
class Sample:
    cpu: float  # seconds of user + system time, all threads
    switches: int  # context switches of all threads: each is a wakeup or a preemption
    rss: int  # bytes
    hwm: int  # peak resident bytes


def sample(pid: int) -> Sample:
    # schedstat counts nanoseconds on the CPU per thread; /proc/PID/stat only 10 ms ticks.
    cpu = 0.0
    switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "status").read_text()
            cpu += int((task / "schedstat").read_text().split()[0]) / 1e9
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                switches += int(line.split()[1])
    status = Path(f"/proc/{pid}/status").read_text()
    values = {k: v for k, _, v in (line.partition(":") for line in status.splitlines())}
    rss = int(values["VmRSS"].split()[0]) * 1024
    hwm = int(values["VmHWM"].split()[0]) * 1024
    return Sample(cpu, switches, rss, hwm)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    restic = subprocess.run(["restic", "version"], capture_output=True, text=True).stdout.strip()
    try:
        import PySide6

        qt = PySide6.__version__
    except ImportError:
        qt = "not installed"
    os_name = platform.platform()
    with open("/etc/os-release") as fh:
        for line in fh:
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip().strip('"')
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "Memory": f"{int(mem) / 1024 / 1024:.0f} GiB",
        "OS": f"{os_name}, kernel {platform.release()}",
        "Python": platform.python_version(),
        "restic": restic,
        "PySide6": qt,
    }


# --- homes -------------------------------------------------------------------------


def make_repo(path: Path) -> dict[str, str]:
    env = {"RESTIC_REPOSITORY": str(path), "RESTIC_PASSWORD": PASSWORD}
    subprocess.run(["restic", "init"], env={**os.environ, **env}, check=True, capture_output=True)
    return env


def make_home(path: Path, env: dict[str, str], **settings: Any) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "env.json").write_text(json.dumps(env))
    (path / "settings.json").write_text(
        json.dumps({"args": ["backup", str(ROOT / "src")], **settings})
    )
    return path


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RESTIC_MONITOR_HOME"}
    env.pop("QT_QPA_PLATFORM", None)
    env.update(extra or {})
    return env


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.005) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError("condition not met")
        time.sleep(interval)


def start_instance(home: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PY, "-m", "restic_monitor", "--home", str(home), "run", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


# --- results -------------------------------------------------------------------------


@dataclass
class Result:
    title: str
    command: str
    rows: list[list[str]]
    header: list[str]
    notes: list[str] = field(default_factory=list)
    #: (measure, result, target, met) lines for the summary at the top of the report
    summary: list[tuple[str, str, str, bool]] = field(default_factory=list)


def mb(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


# --- 1. idle footprint ------------------------------------------------------------------


def bench_idle(tmp: Path, seconds: float) -> Result:
    desk = Desktop(tmp / "desk").start()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        env = make_repo(tmp / "repo")
        waiting = {"min_idle_seconds": 86400, "no_backup_warning_seconds": 864000}
        headless_home = make_home(tmp / "headless", env, **waiting)
        tray_home = make_home(tmp / "tray", env, **waiting)
        procs["bare Python (floor)"] = subprocess.Popen(
            [PY, "-c", "import time; time.sleep(10**7)"], env=cli_env()
        )
        procs["headless daemon (`run --headless`, idle source x11)"] = start_instance(
            headless_home, cli_env(desk.env), "--headless", "--idle-source", "x11"
        )
        procs["tray (`run`, idle source x11)"] = start_instance(
            tray_home, cli_env(desk.env), "--idle-source", "x11"
        )
        wait_for((headless_home / "control.json").exists, 30)
        wait_for(lambda: (tray_home / "control.json").exists() and desk.tray_icon_center(), 30)
        time.sleep(5)  # let start-up settle: only the waiting is measured
        before = {name: sample(p.pid) for name, p in procs.items()}
        time.sleep(seconds)
        after = {name: sample(p.pid) for name, p in procs.items()}
    finally:
        for proc in procs.values():
            stop(proc)
        desk.stop()
    rows = []
    per10 = 600 / seconds
    measured: dict[str, tuple[float, float]] = {}
    for name in procs:
        b, a = before[name], after[name]
        cpu_ms = (a.cpu - b.cpu) * 1000 * per10
        measured[name.split(" ")[0]] = (cpu_ms, a.rss)
        rows.append(
            [
                name,
                f"{cpu_ms:.1f} ms ({cpu_ms / 6000:.5f} %)",
                f"{(a.switches - b.switches) * per10:.0f}",
                mb(a.rss),
                mb(a.hwm),
            ]
        )
    headless, tray = measured["headless"], measured["tray"]
    summary = [
        (
            "CPU while waiting, headless / tray",
            f"{headless[0]:.1f} ms / {tray[0]:.1f} ms per 10 min",
            "under 60 ms",
            max(headless[0], tray[0]) < 60,
        ),
        (
            "Resident memory, headless / tray",
            f"{mb(headless[1])} / {mb(tray[1])}",
            "30 MB / 70 MB",
            headless[1] < 30e6 and tray[1] < 70e6,
        ),
    ]
    return Result(
        "Idle footprint: waiting for the user to be away",
        f"uv run python benchmarks/run.py --only idle (window: {seconds:.0f} s, scaled to 10 min)",
        rows,
        ["process", "CPU per 10 min", "context switches per 10 min", "RSS", "peak RSS"],
        [
            "Targets: CPU under 60 ms per 10 minutes (0.01 %); RSS headless under 30 MB, tray "
            "under 70 MB (Vorta, a comparable Qt tray app: ~114 MB).",
            "Both instances wait with min_idle_seconds = 86400 on a real X server (Xvfb with "
            "trayer as tray host), so they only look again at their longest sleep (5 min) and "
            "the tray refreshes its tooltip once a minute. CPU is every thread's time on the "
            "CPU (/proc/PID/task/*/schedstat, nanoseconds); the context switches count every "
            "thread's wakeups (and preemptions).",
        ],
        summary,
    )


# --- 2. start-up ---------------------------------------------------------------------


def bench_startup(tmp: Path, runs: int) -> Result:
    env = make_repo(tmp / "repo")
    rows = []
    desk = Desktop(tmp / "desk").start()
    try:
        icon_times, ready_times = [], []
        for i in range(runs):
            home = make_home(tmp / f"tray-{i}", env, min_idle_seconds=86400)
            started = time.monotonic()
            proc = start_instance(home, cli_env(desk.env), "--idle-source", "x11")
            wait_for(desk.tray_icon_center, 30)
            icon_times.append(time.monotonic() - started)
            stop(proc)
            wait_for(lambda: desk.tray_icon_center() is None, 15)
            home = make_home(tmp / f"headless-{i}", env, min_idle_seconds=86400)
            started = time.monotonic()
            proc = start_instance(home, cli_env(), "--headless", "--idle-source", "fixed:0")
            wait_for(lambda h=home: (h / "control.json").exists(), 30)
            ready_times.append(time.monotonic() - started)
            stop(proc)
    finally:
        desk.stop()
    rows.append(["launch to tray icon docked (`run`)", *_stats(icon_times), "1.5 s"])
    rows.append(["launch to control channel ready (`run --headless`)", *_stats(ready_times), "-"])

    home = make_home(tmp / "status", env, min_idle_seconds=86400)
    proc = start_instance(home, cli_env(), "--headless", "--idle-source", "fixed:0")
    try:
        wait_for((home / "control.json").exists, 30)
        cli_times, client_times, floor_times = [], [], []
        for _ in range(runs * 4):
            started = time.monotonic()
            subprocess.run(
                [PY, "-m", "restic_monitor", "--home", str(home), "status", "--json"],
                env=cli_env(),
                capture_output=True,
                check=True,
            )
            cli_times.append(time.monotonic() - started)
            started = time.monotonic()
            subprocess.run([PY, "-c", "pass"], check=True)
            floor_times.append(time.monotonic() - started)
        from restic_monitor.control import connect
        from restic_monitor.paths import Home

        client = connect(Home(home))
        for _ in range(runs * 20):
            started = time.monotonic()
            client.call("status")
            client_times.append(time.monotonic() - started)
    finally:
        stop(proc)
    rows.append(
        [
            "`restic-monitor status --json` against a running instance (whole command)",
            *_stats(cli_times),
            "150 ms",
        ]
    )
    rows.append(["  of which the round trip on the control channel", *_stats(client_times), "-"])
    rows.append(["  floor: `python -c pass`", *_stats(floor_times), "-"])
    summary = [
        (
            "Launch to tray icon",
            _stats(icon_times)[0] + " (median)",
            "1.5 s",
            statistics.median(icon_times) < 1.5,
        ),
        (
            "`status` round trip (whole command)",
            _stats(cli_times)[0] + " (median)",
            "150 ms",
            statistics.median(cli_times) < 0.150,
        ),
    ]
    return Result(
        "Start-up and status round trip",
        f"uv run python benchmarks/run.py --only startup ({runs} launches each)",
        rows,
        ["what", "median", "min", "max", "target"],
        [
            "The icon is 'visible' when trayer's panel has grown to hold it at the screen's right "
            "edge (polled every 5 ms)."
        ],
        summary,
    )


def _stats(values: list[float]) -> list[str]:
    def fmt(v: float) -> str:
        return f"{v * 1000:.0f} ms" if v < 10 else f"{v:.1f} s"

    return [fmt(statistics.median(values)), fmt(min(values)), fmt(max(values))]


# --- 3. output pipeline ------------------------------------------------------------------

_PIPELINE_CHILD = r"""
import json, sys, time, os
from pathlib import Path
from restic_monitor.restic import Redactor
from restic_monitor.runner import ResticRun
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
src, log = sys.argv[1], sys.argv[2]
peak = [0]
run = ResticRun(["cat", src], dict(os.environ), log_path=Path(log), redactor=Redactor(["benchmark-password"]),
                json_progress=True)
base = rss()
import threading
stop = threading.Event()
def watch():
    while not stop.is_set():
        peak[0] = max(peak[0], rss()); time.sleep(0.01)
t = threading.Thread(target=watch); t.start()
started = time.monotonic()
result = run.run()
elapsed = time.monotonic() - started
stop.set(); t.join()
print(json.dumps({"elapsed": elapsed, "lines": run.lines_seen, "exit": result.exit_code,
                  "growth": peak[0] - base, "base": base}))
"""


def bench_pipeline(tmp: Path, lines: int) -> Result:
    source = tmp / "restic-output.jsonl"
    status = (
        '{"message_type":"status","seconds_elapsed":12,"percent_done":%f,"total_files":20000,'
        '"files_done":%d,"total_bytes":1073741824,"bytes_done":%d,"current_files":'
        '["/home/me/Documents/projects/report-%d.odt"]}\n'
    )
    verbose = (
        '{"message_type":"verbose_status","action":"new","item":"/home/me/Documents/'
        'projects/report-%d.odt","duration":0.0012,"data_size":%d,"metadata_size":0,'
        '"total_files":1}\n'
    )
    with source.open("w") as fh:
        for i in range(lines):
            fh.write(status % (i / lines, i // 100, i * 500, i) if i % 2 else verbose % (i, i * 7))
    size = source.stat().st_size
    cat_times, run_results = [], []
    for _ in range(3):
        started = time.monotonic()
        with (tmp / "cat-out").open("wb") as out:
            subprocess.run(["cat", str(source)], stdout=out, check=True)
        cat_times.append(time.monotonic() - started)
        child = subprocess.run(
            [PY, "-c", _PIPELINE_CHILD, str(source), str(tmp / "restic-last.log")],
            capture_output=True,
            text=True,
            check=True,
            env=cli_env(),
        )
        run_results.append(json.loads(child.stdout))
    best = min(run_results, key=lambda r: r["elapsed"])
    median_elapsed = statistics.median(r["elapsed"] for r in run_results)
    log_size = (tmp / "restic-last.log").stat().st_size
    rows = [
        [
            "`cat` into a file (the floor)",
            f"{lines / statistics.median(cat_times):,.0f}",
            f"{statistics.median(cat_times):.2f} s",
            "-",
        ],
        [
            "restic-monitor's runner into restic-last.log",
            f"{lines / median_elapsed:,.0f}",
            f"{median_elapsed:.2f} s",
            mb(max(r["growth"] for r in run_results)),
        ],
    ]
    growth = max(r["growth"] for r in run_results)
    summary = [
        (
            "Output pipeline",
            f"{lines / median_elapsed:,.0f} lines/s, +{mb(growth)}",
            "200,000 lines/s, +10 MB",
            lines / median_elapsed >= 200_000 and growth < 10e6,
        ),
    ]
    return Result(
        "Output pipeline: restic's --json output through the runner",
        f"uv run python benchmarks/run.py --only pipeline ({lines:,} lines, {size / 1e6:.0f} MB, "
        "median of 3)",
        rows,
        ["path", "lines per second", "time", "peak memory growth"],
        [
            "Targets: at least 200,000 lines per second; peak memory growth under 10 MB.",
            f"Half the lines are `status` messages (kept raw, parsed at most 5 times a second), "
            f"half `verbose_status` (each turned into a readable log line). The log came out at "
            f"{log_size / 1e6:.0f} MB of readable text; the best run took {best['elapsed']:.2f} s.",
            "The reader drains the pipe as fast as it parses: restic (here `cat` playing restic) "
            "waits on a full pipe only for as long as the parsing of what it already wrote takes; "
            "the ratio of the two times above is that cost.",
        ],
        summary,
    )


# --- 4. wrapper overhead -----------------------------------------------------------------


def bench_overhead(tmp: Path, files: int, total_bytes: int, runs: int) -> Result:
    tree = tmp / "tree"
    per_file = total_bytes // files
    for i in range(files):
        folder = tree / f"d{i // 500:03d}"
        if i % 500 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.bin").write_bytes(os.urandom(per_file))
    template = tmp / "template"
    env = make_repo(template)
    plain, monitored = [], []
    for i in range(runs * 2):
        repo = tmp / f"repo-{i}"
        shutil.copytree(template, repo)
        run_env = {**env, "RESTIC_REPOSITORY": str(repo)}
        subprocess.run(["sync"], check=False)
        if i % 2 == 0:
            started = time.monotonic()
            subprocess.run(
                ["restic", "backup", "--json", str(tree)],
                env={**os.environ, **run_env},
                stdout=subprocess.DEVNULL,
                check=True,
            )
            plain.append(time.monotonic() - started)
        else:
            home = make_home(tmp / f"home-{i}", run_env, args=["backup", str(tree)])
            started = time.monotonic()
            subprocess.run(
                [PY, "-m", "restic_monitor", "--home", str(home), "backup"],
                env=cli_env(),
                capture_output=True,
                check=True,
            )
            monitored.append(time.monotonic() - started)
        shutil.rmtree(repo)
    ratio = statistics.median(monitored) / statistics.median(plain)
    rows = [
        ["`restic backup --json TREE`", *_stats(plain)],
        ["`restic-monitor backup` (same command through the monitor)", *_stats(monitored)],
        ["ratio of medians", f"{ratio:.3f}", "", ""],
    ]
    summary = [("Wrapper overhead", f"ratio {ratio:.3f}", "at most 1.03", ratio <= 1.03)]
    return Result(
        "Wrapper overhead: the same backup, plain and through restic-monitor",
        f"uv run python benchmarks/run.py --only overhead ({files:,} files, "
        f"{total_bytes / 1e9:.1f} GB, {runs} runs each, alternating)",
        rows,
        ["run", "median", "min", "max"],
        [
            "Target: a ratio of at most 1.03.",
            "Each run backs up into a fresh copy of the same empty repository, so every run does "
            "the full work. Both use --json (restic-monitor adds it for progress). The monitored "
            "run includes starting the CLI, the engine, the lock, the history and restic's "
            "`version` call, with the default low_priority (nice 10, ionice best-effort 7), which "
            "costs nothing on an otherwise idle machine.",
        ],
        summary,
    )


# --- 5. reaction ----------------------------------------------------------------------


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
        ["X11 (XScreenSaver): idle crosses min_idle_seconds → restic starts", *_stats(x11), "1 s"],
        ["Wayland (sway, idle protocol): the same", *_stats(wayland), "1 s"],
    ]
    summary = [
        (
            "Reaction to the idle threshold, X11",
            _stats(x11)[0] + " (median)",
            "under 1 s",
            statistics.median(x11) < 1.0,
        ),
        (
            "Reaction to the idle threshold, Wayland",
            _stats(wayland)[2] + " (max)",
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


# --- report ------------------------------------------------------------------------------


def render(results: list[Result], info: dict[str, str], command: str) -> str:
    out = [
        "# Benchmarks",
        "",
        "Produced by `" + command + "` on the machine below. Every figure's own command is "
        "under its heading; comparisons were measured in the same run.",
        "",
        "| machine | |",
        "|---|---|",
    ]
    out += [f"| {k} | {v} |" for k, v in info.items()]
    out.append("")
    lines = [line for result in results for line in result.summary]
    if lines:
        out += ["## Summary", "", "| measure | result | target | |", "|---|---|---|---|"]
        out += [f"| {m} | {r} | {t} | {'met' if ok else 'MISSED'} |" for m, r, t, ok in lines]
        out.append("")
    for result in results:
        out += [f"## {result.title}", "", f"`{result.command}`", ""]
        out.append("| " + " | ".join(result.header) + " |")
        out.append("|" + "---|" * len(result.header))
        out += ["| " + " | ".join(row) + " |" for row in result.rows]
        out.append("")
        out += [f"{note}\n" for note in result.notes]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows, for a smoke run")
    parser.add_argument(
        "--only", action="append", choices=["idle", "startup", "pipeline", "overhead", "reaction"]
    )
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    chosen = args.only or ["idle", "startup", "pipeline", "overhead", "reaction"]
    quick = args.quick
    results = []
    with tempfile.TemporaryDirectory(prefix="rm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for name in chosen:
            print(f"== {name}", flush=True)
            work = tmp / name
            work.mkdir()
            started = time.monotonic()
            if name == "idle":
                results.append(bench_idle(work, 30 if quick else 600))
            elif name == "startup":
                results.append(bench_startup(work, 2 if quick else 5))
            elif name == "pipeline":
                results.append(bench_pipeline(work, 200_000 if quick else 2_000_000))
            elif name == "overhead":
                results.append(
                    bench_overhead(
                        work,
                        2_000 if quick else 20_000,
                        100_000_000 if quick else 1_000_000_000,
                        1 if quick else 3,
                    )
                )
            elif name == "reaction":
                results.append(bench_reaction(work, 2 if quick else 5))
            print(f"   {time.monotonic() - started:.0f} s", flush=True)
            for row in results[-1].rows:
                print("   " + " | ".join(row), flush=True)
    command = (
        "uv run python benchmarks/run.py"
        + (" --quick" if quick else "")
        + "".join(f" --only {o}" for o in (args.only or []))
    )
    text = render(results, machine(), command)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    threading.current_thread().name = "benchmarks"
    main()
