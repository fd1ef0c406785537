"""The user's own commands around a backup: before it, after it, on success, on failure.

Each hook is an argv list (no shell unless the user writes ``["sh", "-c",
...]``), run in the backup's own thread so that nothing else of the home
runs meanwhile, in a process group of its own: a hook that outlives
``hook_timeout_seconds`` is stopped with everything it started. Its
environment is the app's own without restic's variables (no env.json name
reaches it, whatever its value) plus ``RESTIC_MONITOR_*`` facts about the
run; its output goes to the app log, masked. One lock per profile: a hook is
never started twice at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from restic_monitor.restic.masking import Redactor

if TYPE_CHECKING:
    from restic_monitor.restic.runner import RunResult

log = logging.getLogger(__name__)

#: How long a hook stopped at its timeout has to end before it is killed.
KILL_GRACE = 5.0
#: The hook output kept for the log and a skip's reason.
TAIL_LINES = 20
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def profile_lock(profile: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(profile, threading.Lock())


@dataclass(frozen=True)
class HookRun:
    exit_code: int | None
    timed_out: bool
    tail: list[str]
    start_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and self.start_error is None

    def describe(self) -> str:
        if self.start_error:
            return self.start_error
        if self.timed_out:
            return "it did not end in time and was stopped"
        last = f": {self.tail[-1]}" if self.tail else ""
        return f"exit code {self.exit_code}{last}"


def hook_env(
    own: Mapping[str, str], restic_names: Sequence[str], facts: Mapping[str, str]
) -> dict[str, str]:
    """The app's environment less restic's variables, plus the run's facts."""
    hidden = set(restic_names)
    env = {k: v for k, v in own.items() if k not in hidden and not k.startswith("RESTIC_")}
    env.update(facts)
    return env


def run_hook(
    setting: str,
    argv: Sequence[str],
    env: Mapping[str, str],
    timeout: float,
    redactor: Redactor,
) -> HookRun:
    """Run one hook to its end (or its timeout), its output into the app log."""
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
    else:
        options["start_new_session"] = True
    try:
        proc = subprocess.Popen(
            list(argv), env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, **options,  # type: ignore[call-overload]
        )  # fmt: skip
    except OSError as exc:
        why = f"cannot start {argv[0]} ({setting}): {exc.strerror or exc}"
        log.warning("hook %s", why)
        return HookRun(None, False, [], why)
    tail: list[str] = []
    reader = threading.Thread(target=_read, args=(proc, setting, redactor, tail), daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        log.warning("hook %s did not end within %.0f s; stopping it", setting, timeout)
        _stop_group(proc)
    reader.join(KILL_GRACE)
    return HookRun(proc.returncode, timed_out, tail[-TAIL_LINES:])


def _read(proc: subprocess.Popen[bytes], setting: str, redactor: Redactor, tail: list[str]) -> None:
    assert proc.stdout is not None
    with proc.stdout:
        for raw in proc.stdout:
            line = redactor.text(raw.decode("utf-8", "replace").rstrip())
            if line:
                log.info("hook %s: %s", setting, line)
                tail.append(line)
                del tail[:-TAIL_LINES]


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """The hook and everything it started: asked to end, then killed."""
    if sys.platform == "win32":
        with contextlib.suppress(OSError):
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(proc.pid)], capture_output=True,
                           check=False)  # fmt: skip
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(KILL_GRACE)
            # The leader may be gone while what it started still runs: kill them too.
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class BackupHooks:
    """The hooks of one backup, planned by its kind and run by the job's thread."""

    profile: str
    kind: str
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    on_success: tuple[str, ...] = ()
    on_failure: tuple[str, ...] = ()
    timeout: float = 300.0
    skip_on_failure: bool = True
    log_path: Path | None = None
    restic_names: tuple[str, ...] = ()
    redactor: Redactor = field(default_factory=lambda: Redactor([]))
    #: The kind's judgement of a result (to tell the hooks how the run ended).
    judge: Callable[[RunResult], tuple[str, str, str | None]] | None = None

    def _facts(self, **more: str) -> dict[str, str]:
        return {
            "RESTIC_MONITOR_PROFILE": self.profile,
            "RESTIC_MONITOR_JOB": self.kind,
            "RESTIC_MONITOR_LOG": str(self.log_path or ""),
            **more,
        }

    def _run(self, setting: str, argv: Sequence[str], facts: dict[str, str]) -> HookRun:
        env = hook_env(os.environ, self.restic_names, facts)
        with profile_lock(self.profile):
            log.info("profile %s: running %s: %s", self.profile, setting,
                     self.redactor.text(" ".join(argv)))  # fmt: skip
            return run_hook(setting, argv, env, self.timeout, self.redactor)

    def run_before(self) -> str | None:
        """The before-hook; why the backup must not run (``skip``), or None to go on."""
        if not self.before:
            return None
        done = self._run("before_backup_command", self.before, self._facts())
        if done.ok:
            return None
        why = f"before_backup_command failed ({done.describe()})"
        if not self.skip_on_failure:
            log.warning("profile %s: %s; backing up anyway (before_backup_failure: continue)",
                        self.profile, why)  # fmt: skip
            return None
        return why

    def run_after(self, result: RunResult) -> None:
        """after_backup_command always, then on_success or on_failure, as the run ended."""
        if not (self.after or self.on_success or self.on_failure) or self.judge is None:
            return
        outcome, error, snapshot = self.judge(result)
        code = "" if result.exit_code is None else str(result.exit_code)
        facts = self._facts(
            RESTIC_MONITOR_OUTCOME=outcome,
            RESTIC_MONITOR_EXIT_CODE=code,
            RESTIC_MONITOR_SNAPSHOT=snapshot or "",
            RESTIC_MONITOR_ERROR=error,
        )
        for setting, argv in (("after_backup_command", self.after),):
            if argv:
                self._run(setting, argv, facts)
        if outcome == "success" and self.on_success:
            self._run("on_success_command", self.on_success, facts)
        elif outcome in ("failed", "incomplete") and self.on_failure:
            self._run("on_failure_command", self.on_failure, facts)
