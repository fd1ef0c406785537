"""restic-monitor benchmarks: what the monitor costs while it waits, and while restic runs.

    uv run python benchmarks/run.py                 # everything (about 15 minutes)
    uv run python benchmarks/run.py --quick         # a short smoke run (figures not comparable)
    uv run python benchmarks/run.py --only status   # one benchmark: idle, step, startup,
                                                    # status, pipeline, overhead, reaction,
                                                    # prune, browse, restore

Writes docs/benchmarks.md (or --out) with every figure, the command that produced it, the
machine, and the comparison taken in the same run: the project and its reference (the bare
interpreter, one profile against two, plain restic) are measured side by side or taking
turns, never one after the other. Needs Linux (it reads /proc), restic, and for the tray
figures Xvfb, trayer and xdotool, and sway and wtype for the Wayland one, as the tests do.

The benchmarks live in benchmarks/*.py: common (measuring, homes, alternation, the report),
idle, engine_step, startup (start-up and the status round trip), throughput (the output
pipeline and the wrapper overhead), reaction, maintenance (a prune) and restore (listing a
folder of a big snapshot, restoring a gigabyte).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import Result, machine, render  # noqa: E402

BENCHMARKS = [
    "idle", "step", "startup", "status", "pipeline", "overhead", "reaction", "prune", "browse",
    "restore",
]  # fmt: skip


def run_one(name: str, work: Path, quick: bool, baseline: str | None) -> Result:
    if name == "idle":
        from benchmarks.idle import bench_idle

        return bench_idle(work, 45 if quick else 600, 5 if quick else 15)
    if name == "step":
        from benchmarks.engine_step import bench_step

        return bench_step(work, 10 if quick else 60, 100 if quick else 300)
    if name == "startup":
        from benchmarks.startup import bench_startup

        return bench_startup(work, 2 if quick else 12)
    if name == "status":
        from benchmarks.startup import bench_status

        old = None
        if baseline is not None:
            src = work / "baseline"
            src.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(ROOT), "archive", baseline, "src"],
                capture_output=True,
                check=True,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
            old = (baseline, src / "src")
        return bench_status(work, 5 if quick else 40, old)
    if name == "pipeline":
        from benchmarks.throughput import bench_pipeline

        return bench_pipeline(work, 200_000 if quick else 2_000_000)
    if name == "overhead":
        from benchmarks.throughput import bench_overhead

        return bench_overhead(work, (500, 2_000) if quick else (2_000, 20_000), 2 if quick else 8)
    if name == "browse":
        from benchmarks.restore import bench_browse

        return bench_browse(work, 3 if quick else 15)
    if name == "restore":
        from benchmarks.restore import bench_restore

        return bench_restore(work, 2 if quick else 7)
    if name == "prune":
        from benchmarks.maintenance import bench_prune

        return bench_prune(work, 2 if quick else 10)
    from benchmarks.reaction import bench_reaction

    return bench_reaction(work, 2 if quick else 5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short windows, for a smoke run")
    parser.add_argument("--only", action="append", choices=BENCHMARKS)
    parser.add_argument(
        "--baseline",
        metavar="COMMIT",
        help="status: also time this commit's code (its src/, exported) in the same rounds",
    )
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    chosen = args.only or BENCHMARKS
    results = []
    with tempfile.TemporaryDirectory(prefix="rm-bench-") as tmp_name:
        tmp = Path(tmp_name)
        for name in chosen:
            print(f"== {name}", flush=True)
            work = tmp / name
            work.mkdir()
            started = time.monotonic()
            results.append(run_one(name, work, args.quick, args.baseline))
            print(f"   {time.monotonic() - started:.0f} s", flush=True)
            for row in results[-1].rows:
                print("   " + " | ".join(row), flush=True)
            for _header, rows in results[-1].tables:
                for row in rows:
                    print("   " + " | ".join(row), flush=True)
    command = (
        "uv run python benchmarks/run.py"
        + (" --quick" if args.quick else "")
        + "".join(f" --only {o}" for o in (args.only or []))
        + (f" --baseline {args.baseline}" if args.baseline else "")
    )
    text = render(results, machine(), command)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(f"wrote {args.out}")


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the benchmarks' finally blocks stop what they started


if __name__ == "__main__":
    threading.current_thread().name = "benchmarks"
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)  # also when started in the background
    main()
