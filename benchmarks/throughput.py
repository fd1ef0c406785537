"""Throughput: restic's output through the runner, and a whole backup with and without us."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.common import (
    CLI,
    PY,
    Result,
    Timed,
    alternate,
    cli_env,
    fmt_ratio,
    instance_job,
    make_home,
    make_repo,
    mb,
    paired_ratio,
    start_instance,
    stats,
    stop,
    timed_run,
    wait_for,
)

# --- output pipeline ------------------------------------------------------------------

_PIPELINE_CHILD = r"""
import json, sys, time, os
from pathlib import Path
from restic_monitor.restic.command import Restic
from restic_monitor.restic.runner import ResticRun
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
src, log = sys.argv[1], sys.argv[2]
peak = [0]
command = Restic("cat", {"RESTIC_PASSWORD": "benchmark-password"}).command(src)
run = ResticRun(command, log_path=Path(log), json_progress=True)
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


#: The floor for a wrapper: restic's output read from a pipe, every line parsed as JSON
#: and written to a log file; nothing else.
_JSON_FLOOR_CHILD = r"""
import json, subprocess, sys, time
src, log = sys.argv[1], sys.argv[2]
started = time.monotonic()
proc = subprocess.Popen(["cat", src], stdout=subprocess.PIPE)
count = 0
with open(log, "wb") as out:
    for line in proc.stdout:
        json.loads(line)
        out.write(line)
        count += 1
proc.wait()
print(json.dumps({"elapsed": time.monotonic() - started, "lines": count}))
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
    cat_times, run_results, floor_times = [], [], []
    for _ in range(3):
        floor = subprocess.run(
            [PY, "-c", _JSON_FLOOR_CHILD, str(source), str(tmp / "floor-out")],
            capture_output=True,
            text=True,
            check=True,
            env=cli_env(),
        )
        floor_times.append(json.loads(floor.stdout)["elapsed"])
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
            "floor: bare Python, `json.loads` of every line from the pipe, into a file",
            f"{lines / statistics.median(floor_times):,.0f}",
            f"{statistics.median(floor_times):.2f} s",
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
    ratios = [
        r["elapsed"] / f for r, f in zip(run_results, floor_times, strict=True)
    ]  # (pair by pair: the floor ran just before each run)
    rows.append(
        [
            "ratio, pair-wise (runner / json floor)",
            f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})",
            "-",
            "-",
        ]
    )
    summary = [
        (
            "Output pipeline",
            f"{lines / median_elapsed:,.0f} lines/s, +{mb(growth)}, "
            f"{statistics.median(ratios):.2f}x the json floor",
            "200,000 lines/s, +10 MB; 1.2x",
            lines / median_elapsed >= 200_000
            and growth < 10e6
            and statistics.median(ratios) <= 1.2,
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


# --- wrapper overhead -----------------------------------------------------------------


def _tree(root: Path, files: int, size: int = 4096) -> Path:
    for i in range(files):
        folder = root / f"d{i // 500:03d}"
        if i % 500 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.bin").write_bytes(os.urandom(size))
    return root


def _overhead_at(tmp: Path, files: int, rounds: int) -> dict[str, list[float]]:
    """One size: plain restic, a running instance's backup and the command, taking turns."""
    tree = _tree(tmp / "tree", files)
    quiet = {"min_idle_seconds": 86400, "low_priority": False, "args": ["backup", str(tree)]}
    plain_env = {**os.environ, **make_repo(tmp / "plain")}
    daemon_home = make_home(tmp / "daemon-home", make_repo(tmp / "daemon"), **quiet)
    command_home = make_home(tmp / "command-home", make_repo(tmp / "command"), **quiet)
    instance = start_instance(daemon_home, cli_env(), "--headless", "--idle-source", "fixed:0")
    try:
        wait_for((daemon_home / "control.json").exists, 30)

        def plain() -> Timed:
            return timed_run(["restic", "backup", "--json", str(tree)], plain_env)

        def by_instance() -> Timed:
            return instance_job(daemon_home, "backup")

        def command() -> Timed:
            return timed_run([CLI, "--home", str(command_home), "backup"], cli_env())

        # The warm-up round makes each repository's first (full) snapshot: every timed
        # backup after it is unchanged, the case where a fixed cost weighs most.
        runs = alternate({"plain": plain, "instance": by_instance, "command": command}, rounds)
    finally:
        stop(instance)
    return {name: [t.wall for t in values] for name, values in runs.items()}


def bench_overhead(tmp: Path, sizes: tuple[int, ...], rounds: int) -> Result:
    rows = []
    summary_ratio = summary_fixed = 0.0
    for files in sizes:
        walls = _overhead_at(tmp / f"files-{files}", files, rounds)
        instance_ratio = paired_ratio(walls["instance"], walls["plain"])
        command_ratio = paired_ratio(walls["command"], walls["plain"])
        fixed = [i - p for i, p in zip(walls["instance"], walls["plain"], strict=True)]
        fixed_ms = statistics.median(fixed) * 1000
        plain_median = statistics.median(walls["plain"])
        rows += [
            [f"{files:,} files, unchanged: plain `restic backup --json`", *stats(walls["plain"]),
             "1", "-"],
            ["  a running instance's backup, request to outcome", *stats(walls["instance"]),
             fmt_ratio(instance_ratio), f"{fixed_ms:+.0f} ms"],
            ["  `restic-monitor backup` without an instance", *stats(walls["command"]),
             fmt_ratio(command_ratio), "-"],
        ]  # fmt: skip
        if files == max(sizes):
            summary_ratio, summary_fixed, summary_plain = instance_ratio[0], fixed_ms, plain_median
    return Result(
        "Wrapper overhead: the same unchanged backup, plain and through restic-monitor",
        f"uv run python benchmarks/run.py --only overhead ({', '.join(f'{n:,}' for n in sizes)} "
        f"files of 4 KiB, {rounds} rounds, taking turns)",
        rows,
        ["run", "median", "min", "max", "ratio to plain (median, min-max)", "fixed cost"],
        [
            "Targets: through a running instance at most 30 ms of fixed cost, a ratio of at "
            "most 1.03 on the larger tree.",
            "Each path has its own repository, backed up once in a warm-up round; every timed "
            "backup after it finds nothing changed, where a fixed cost weighs the most. They "
            "take turns round by round; ratios and the fixed cost (instance minus plain) are "
            "taken pair by pair. Both homes set low_priority to false, since plain restic runs "
            "at normal priority; the monitor adds --json as plain restic is given it. A "
            "scheduled backup starts no command: the instance's own cost is the "
            "request-to-outcome row (the control-channel call from this process). The "
            "command's row adds a Python interpreter's start-up, the CLI, the engine and the "
            "history. A fixed cost's share falls as the backup grows: ratio = 1 + fixed cost / "
            "plain time, so the same cost on a backup ten times as long is a tenth of the ratio "
            "above 1.",
        ],
        [
            (
                "Wrapper overhead, running instance",
                f"{summary_fixed:+.0f} ms fixed, ratio {summary_ratio:.3f} "
                f"(plain {summary_plain:.2f} s)",
                "30 ms; at most 1.03",
                summary_fixed <= 30 and summary_ratio <= 1.03,
            )
        ],
    )
