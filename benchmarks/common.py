"""What every benchmark shares: reading /proc, homes with profiles, alternation, results."""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
#: The console script a user runs (``restic-monitor``), next to the interpreter.
CLI = str(Path(PY).with_name("restic-monitor"))
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


@dataclass
class Timed:
    wall: float  # seconds from start to exit, as the user waits
    cpu: float  # the child's user + system seconds (the kernel's accounting)


def timed_run(argv: Sequence[str], env: dict[str, str] | None = None) -> Timed:
    """Run a whole process to its end: its wall time and its own CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(list(argv), env=env, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{argv} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(wall, cpu)


def instance_job(home: Path, kind: str) -> Timed:
    """Ask a running instance for a job of ``kind`` and wait for its outcome (success)."""
    from restic_monitor.control import connect
    from restic_monitor.paths import Home

    started = time.perf_counter()
    client = connect(Home(home))
    request = {"wait": True, "profile": None, "kind": kind}
    result = client.call("run", request, on_event=lambda _event: None, wait=True)
    wall = time.perf_counter() - started
    outcome = result["runs"][0]["run"]["outcome"]
    if outcome != "success":
        raise RuntimeError(f"the instance's {kind} ended {outcome}")
    return Timed(wall, 0.0)


def alternate(
    measures: dict[str, Callable[[], Any]], rounds: int, warmup: int = 1
) -> dict[str, list[Any]]:
    """Every round runs each measure once, in turn; the lists line up round by round.

    The order rotates every round and runs backwards every other cycle, so no measure
    always follows the same neighbour or always goes first. Warm-up rounds are dropped.
    """
    names = list(measures)
    out: dict[str, list[Any]] = {name: [] for name in names}
    for number in range(warmup + rounds):
        shift = number % len(names)
        order = names[shift:] + names[:shift]
        if (number // len(names)) % 2:
            order.reverse()
        values = {name: measures[name]() for name in order}
        if number >= warmup:
            for name in names:
                out[name].append(values[name])
    return out


def paired_ratio(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    """Median, min and max of a[i] / b[i]: each pair was measured side by side."""
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    return statistics.median(ratios), min(ratios), max(ratios)


def fmt_ratio(r: tuple[float, float, float]) -> str:
    return f"{r[0]:.2f} ({r[1]:.2f}-{r[2]:.2f})"


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

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    import restic_monitor

    package = Path(restic_monitor.__file__).resolve().parent
    if package == ROOT / "src" / "restic_monitor":
        code = "commit " + git("rev-parse", "--short", "HEAD")
        if git("status", "--porcelain", "--", "src"):
            code += " with uncommitted changes in src/"
    else:  # PYTHONPATH points at another copy (say, one commit's src exported)
        code = f"restic_monitor from {package.parent} (PYTHONPATH)"
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "Memory": f"{int(mem) / 1024 / 1024:.0f} GiB",
        "OS": f"{os_name}, kernel {platform.release()}",
        "Python": platform.python_version(),
        "restic": restic,
        "PySide6": qt,
        "Code": f"{code}, measured {time.strftime('%Y-%m-%d')}",
    }


# --- homes -------------------------------------------------------------------------


def make_repo(path: Path) -> dict[str, str]:
    env = {"RESTIC_REPOSITORY": str(path), "RESTIC_PASSWORD": PASSWORD}
    subprocess.run(["restic", "init"], env={**os.environ, **env}, check=True, capture_output=True)
    return env


def write_profile(folder: Path, env: dict[str, str], **settings: Any) -> Path:
    """One profile's settings.json and env.json (the home's root is profile ``default``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "env.json").write_text(json.dumps(env))
    (folder / "env.json").chmod(0o600)
    (folder / "settings.json").write_text(
        json.dumps({"args": ["backup", str(ROOT / "src")], **settings})
    )
    return folder


def restic_home(home: Path, repo: Path, data: Path, **settings: Any) -> Path:
    """A home backing up ``data`` to ``repo`` that never backs up on its own, at normal
    priority (plain restic runs so: like is compared with like)."""
    home.mkdir()
    values = {
        "restic_exe": shutil.which("restic") or "restic",
        "args": ["backup", str(data)],
        "min_idle_seconds": 864000,
        "check_every_seconds": 0,
        "low_priority": False,
        **settings,
    }
    (home / "settings.json").write_text(json.dumps(values))
    env = home / "env.json"
    env.write_text(json.dumps({"RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD": PASSWORD}))
    env.chmod(0o600)
    return home


def make_home(path: Path, env: dict[str, str], *more: dict[str, str], **settings: Any) -> Path:
    """A home: profile ``default`` with ``env``, then profiles p2, p3, … with ``more``."""
    write_profile(path, env, **settings)
    for number, extra in enumerate(more, start=2):
        write_profile(path / "profiles" / f"p{number}", extra, **settings)
    return path


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "RESTIC_MONITOR_HOME"}
    env.pop("QT_QPA_PLATFORM", None)
    # An installed package has its bytecode compiled; a shell that turns the cache off
    # would time the compiling of every module on every start instead of the app.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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
    #: further tables under the first: (header, rows)
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)


def mb(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


def ms(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"


def stats(values: Sequence[float]) -> list[str]:
    """Median, min, max."""
    return [ms(statistics.median(values)), ms(min(values)), ms(max(values))]


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def render(results: list[Result], info: dict[str, str], command: str) -> str:
    out = [
        "# Benchmarks",
        "",
        "Produced by `" + command + "` on the machine below. Every figure's own command is "
        "under its heading; comparisons were measured in the same run, side by side or "
        "alternating.",
        "",
        "| machine | |",
        "|---|---|",
    ]
    out += [f"| {k} | {v} |" for k, v in info.items()]
    out.append("")
    lines = [line for result in results for line in result.summary]
    if lines:
        out += ["## Summary", "", "| measure | result | target | |", "|---|---|---|---|"]
        for measure, value, target, met in lines:
            verdict = "-" if target == "-" else "met" if met else "MISSED"
            out.append(f"| {measure} | {value} | {target} | {verdict} |")
        out.append("")
    for result in results:
        out += [f"## {result.title}", "", f"`{result.command}`", ""]
        out += table(result.header, result.rows)
        out.append("")
        for header, rows in result.tables:
            out += table(header, rows)
            out.append("")
        out += [f"{note}\n" for note in result.notes]
    return "\n".join(out)
