"""``restic-monitor demo``: the product in half a minute, with nothing to set up.

A temporary home, a real local restic repository, a sample folder and a
simulated user who works for a few seconds and then walks away. The real
engine backs up when the user is idle, restores the snapshot to prove it,
and prints every event as it happens.
"""

from __future__ import annotations

import filecmp
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from restic_monitor import logs
from restic_monitor.notify import Notice
from restic_monitor.paths import Home
from restic_monitor.restic.command import Restic
from restic_monitor.state.files import atomic_write
from restic_monitor.status.model import RunInfo
from restic_monitor.status.text import describe_run, exit_code_for, format_status

MIN_IDLE = 3
BETWEEN = 15
USER_WORKS_FOR = 2.0


class SimulatedUser:
    """An idle source driven by a script: active now, away after a while."""

    name = "demo (simulated user)"
    grows_on_its_own = True
    reports_activity = True
    refresh: float | None = None

    def __init__(self, works_for: float) -> None:
        self._lock = threading.Lock()
        self._last_input = time.monotonic() + works_for

    def touch(self, busy_for: float = 0.0) -> None:
        with self._lock:
            self._last_input = time.monotonic() + busy_for

    def seconds(self) -> float | None:
        with self._lock:
            return max(0.0, time.monotonic() - self._last_input)

    def close(self) -> None:
        pass


class _Printer:
    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.last_progress = 0.0

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.t0
        print(f"[{elapsed:5.1f} s] {text}", flush=True)

    def notify(self, notice: Notice) -> None:
        self.say(f"notice ({notice.kind}): {notice.title}: {notice.body.splitlines()[0]}")


def _make_sample(folder: Path) -> None:
    rng = random.Random(42)  # deterministic sample content, not a secret
    (folder / "documents").mkdir(parents=True)
    (folder / "photos").mkdir()
    for i in range(1, 6):
        (folder / "documents" / f"note-{i}.txt").write_text(
            f"Note {i}\n" + "restic-monitor demo line\n" * (50 * i), encoding="utf-8"
        )
    for i in range(1, 4):
        (folder / "photos" / f"picture-{i}.raw").write_bytes(rng.randbytes(256 * 1024))


def run_demo(*, once: bool, keep: bool = False, debug: bool = False) -> int:
    from restic_monitor.engine.host import Engine

    exe = shutil.which("restic")
    if exe is None:
        print(
            "The demo needs restic. Install it (Debian/Ubuntu: sudo apt install restic; "
            "Windows: winget install restic.restic or scoop install restic; macOS: brew "
            "install restic) and run the demo again.",
            file=sys.stderr,
        )
        return 1
    out = _Printer()
    root = Path(tempfile.mkdtemp(prefix="restic-monitor-demo-"))
    home = Home(root / "home")
    repo, sample = root / "repository", root / "sample"
    password = secrets.token_urlsafe(16)
    env = {"RESTIC_REPOSITORY": str(repo), "RESTIC_PASSWORD": password}
    engine: Engine | None = None
    try:
        home.ensure()
        _make_sample(sample)
        atomic_write(home.env_json, json.dumps(env, indent=2).encode())
        settings: dict[str, Any] = {
            "restic_exe": exe,
            "args": ["backup", str(sample)],
            "min_idle_seconds": MIN_IDLE,
            "min_seconds_between_backups": BETWEEN,
            "no_backup_warning_seconds": 3600,
            "pause_seconds": 60,
            # The demo restores right after each backup: no scheduled check holding the lock.
            "check_every_seconds": 0,
        }
        atomic_write(home.settings_json, json.dumps(settings, indent=2).encode())
        out.say(f"demo home {home.root} (settings.json, env.json, logs/)")
        out.say(f"sample folder {sample}: 5 notes, 3 pictures")
        init = _restic(exe, env, "init")
        if init.returncode != 0:
            print(f"restic init failed: {init.stderr.strip()}", file=sys.stderr)
            return 1
        out.say(f"created a restic repository in {repo}")
        logs.setup(home, debug=debug)

        user = SimulatedUser(USER_WORKS_FOR)
        engine = Engine(home, user, notifier=out)
        done = threading.Event()
        finished: list[RunInfo] = []

        def on_event(event: str, data: dict[str, Any]) -> None:
            if event == "started":
                out.say(
                    f"you have been away {user.seconds() or 0:.0f} s (min_idle_seconds = "
                    f"{MIN_IDLE}): backup started"
                )
            elif event == "progress":
                now = time.monotonic()
                if now - out.last_progress >= 0.5:
                    out.last_progress = now
                    prog = data["progress"]
                    out.say(f"  progress {prog['percent'] or 0:.0f} %")
            elif event == "finished":
                finished.append(data["record"])
                out.say(describe_run(data["record"]).replace("\n", "\n          "))
                done.set()

        engine.subscribe(on_event)
        out.say(
            f"you are working… (the simulated user walks away in {USER_WORKS_FOR:.0f} s; a "
            f"backup starts after {MIN_IDLE} s of idleness)"
            + ("" if once else "; press Ctrl-C to end the demo")
        )
        engine.start()
        interrupted = threading.Event()
        previous = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
        try:
            round_no = 0
            while not interrupted.is_set():
                if not done.wait(0.2):
                    continue
                done.clear()
                round_no += 1
                record = finished[-1]
                if record.snapshot_id:
                    _verify_restore(out, exe, env, sample, root / f"restore-{round_no}")
                if once:
                    print()
                    print(format_status(engine.status()))
                    return exit_code_for(record)
                out.say(
                    "you come back and edit a note; you will leave again shortly "
                    f"(next backup no sooner than {BETWEEN} s after the last one)"
                )
                user.touch(busy_for=USER_WORKS_FOR)
                with (sample / "documents" / "note-1.txt").open("a", encoding="utf-8") as fh:
                    fh.write(f"edited at {time.ctime()}\n")
            return 130
        finally:
            signal.signal(signal.SIGINT, previous)
    finally:
        if engine is not None:
            engine.shutdown(45)
        if keep:
            print(f"kept the demo files in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def _verify_restore(
    out: _Printer, exe: str, env: dict[str, str], sample: Path, target: Path
) -> None:
    result = _restic(exe, env, "restore", "latest", "--target", str(target))
    if result.returncode != 0:
        out.say(f"restore check FAILED: {result.stderr.strip()[:200]}")
        return
    restored = target / os.path.relpath(sample, sample.anchor)
    same = _same_tree(sample, restored)
    out.say(
        "restored the snapshot: identical to the sample folder"
        if same
        else "restore check FAILED: restored files differ"
    )


def _restic(exe: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return Restic(exe, env).command(*args).run()


def _same_tree(a: Path, b: Path) -> bool:
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _match, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(_same_tree(a / d, b / d) for d in cmp.common_dirs)
