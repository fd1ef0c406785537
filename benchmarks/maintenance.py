"""What maintenance costs the user: a prune through the app against plain restic.

A repository with 100 snapshots, forgotten down to 10, is pruned again and again
from the same prepared copy: by plain ``restic prune``; by a running instance asked
over its control channel from this process (what a scheduled prune costs: no command
starts); by ``restic-monitor prune`` asking a running instance (the same, plus the
command's own start-up); and by ``restic-monitor prune`` in a terminal without one.
They take turns, round by round, so the ratios compare runs made under the same load.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
from pathlib import Path

from benchmarks.common import (
    CLI,
    PASSWORD,
    Result,
    Timed,
    alternate,
    cli_env,
    fmt_ratio,
    instance_job,
    paired_ratio,
    restic_home,
    start_instance,
    stop,
    timed_run,
    wait_for,
)

SNAPSHOTS = 100
KEEP = 10
FILES = 40
FILE_BYTES = 1024 * 1024
CHANGED = 3


def _restic(env: dict[str, str], *args: str) -> None:
    subprocess.run(["restic", *args], env={**os.environ, **env}, check=True, capture_output=True)


def _prepared(tmp: Path) -> tuple[Path, Path]:
    """(the data folder, a repository of 100 snapshots forgotten down to 10)."""
    data = tmp / "data"
    data.mkdir()
    rng = random.Random(7)  # benchmark data, not a secret
    for i in range(FILES):
        (data / f"file-{i}.bin").write_bytes(rng.randbytes(FILE_BYTES))
    repo = tmp / "prepared"
    env = {"RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD": PASSWORD}
    _restic(env, "init")
    for _ in range(SNAPSHOTS):
        for i in rng.sample(range(FILES), CHANGED):  # a few files change between snapshots
            (data / f"file-{i}.bin").write_bytes(rng.randbytes(FILE_BYTES))
        _restic(env, "backup", "--quiet", str(data))
    _restic(env, "forget", "--keep-last", str(KEEP))
    return data, repo


def _fresh(prepared: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(prepared, target)
    # The copy is not timed: its pages are written out now, not during the timed prune.
    os.sync()


def _home(tmp: Path, name: str, repo: Path, data: Path) -> Path:
    return restic_home(
        tmp / name, repo, data, forget_args=["--keep-last", str(KEEP)], prune_every_seconds=0
    )


def bench_prune(tmp: Path, rounds: int) -> Result:
    data, prepared = _prepared(tmp)
    plain_repo, daemon_repo, terminal_repo = tmp / "plain", tmp / "daemon", tmp / "terminal"
    daemon_home = _home(tmp, "daemon-home", daemon_repo, data)
    terminal_home = _home(tmp, "terminal-home", terminal_repo, data)
    plain_env = {**cli_env(), "RESTIC_REPOSITORY": str(plain_repo), "RESTIC_PASSWORD": PASSWORD}
    _fresh(prepared, daemon_repo)
    instance = start_instance(daemon_home, cli_env(), "--headless", "--idle-source", "fixed:0")
    try:
        wait_for((daemon_home / "control.json").exists, 30)

        def plain() -> Timed:
            _fresh(prepared, plain_repo)
            return timed_run(["restic", "prune"], plain_env)

        def by_instance() -> Timed:
            _fresh(prepared, daemon_repo)
            return instance_job(daemon_home, "prune")

        def through_instance() -> Timed:
            _fresh(prepared, daemon_repo)
            return timed_run([CLI, "--home", str(daemon_home), "prune"], cli_env())

        def in_terminal() -> Timed:
            _fresh(prepared, terminal_repo)
            return timed_run([CLI, "--home", str(terminal_home), "prune"], cli_env())

        runs = alternate(
            {
                "plain": plain,
                "scheduled": by_instance,
                "instance": through_instance,
                "terminal": in_terminal,
            },
            rounds,
        )
    finally:
        stop(instance)
    walls = {name: [t.wall for t in values] for name, values in runs.items()}
    scheduled_ratio = paired_ratio(walls["scheduled"], walls["plain"])
    instance_ratio = paired_ratio(walls["instance"], walls["plain"])
    terminal_ratio = paired_ratio(walls["terminal"], walls["plain"])

    def row(name: str, label: str, ratio: str) -> list[str]:
        values = walls[name]
        return [
            label,
            f"{statistics.median(values):.2f} s",
            f"{min(values):.2f} s",
            f"{max(values):.2f} s",
            ratio,
        ]

    rows = [
        row("plain", "plain `restic prune` (reference)", "1"),
        row(
            "scheduled",
            "a running instance's prune, request to outcome (what the schedule costs)",
            fmt_ratio(scheduled_ratio),
        ),
        row(
            "instance",
            "`restic-monitor prune` through a running instance",
            fmt_ratio(instance_ratio),
        ),
        row("terminal", "`restic-monitor prune` without an instance", fmt_ratio(terminal_ratio)),
    ]
    return Result(
        "Maintenance: a prune through the app and with plain restic",
        f"uv run python benchmarks/run.py --only prune ({rounds} rounds)",
        rows,
        ["how", "median", "min", "max", "ratio to plain (median, min-max)"],
        [
            f"A repository of {SNAPSHOTS} snapshots ({FILES} files of {FILE_BYTES // 1024} KiB, "
            f"{CHANGED} changed per snapshot) forgotten down to {KEEP}, restored from the same "
            "prepared copy before every prune (not timed, and written out to disk before the "
            "prune starts). They take turns round by round; the ratio is taken pair by pair. Through an instance the command "
            "waits for the job's outcome as `restic-monitor prune` does. Both apps' homes set "
            "low_priority to false, since plain restic runs at normal priority. A scheduled "
            "prune starts no command: the instance's own cost is the request-to-outcome row. "
            "The command's rows add a Python interpreter's start-up and the CLI's imports, "
            "a fixed cost of the order of the status command's (see above), whatever the "
            "repository's size.",
        ],
        [
            (
                "Prune run by a running instance vs plain restic",
                f"ratio {scheduled_ratio[0]:.3f}",
                "at most 1.02",
                scheduled_ratio[0] <= 1.02,
            )
        ],
    )
