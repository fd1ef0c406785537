"""One restic process: spawn, stream its output to the log, follow progress, stop it.

restic's stdout and stderr are merged into one pipe that a single reader
thread drains as fast as restic writes, so restic never blocks on a full
pipe because of us. The reader works on chunks, not lines: one read, one
log write and one flush per chunk keeps up with hundreds of thousands of
lines per second while still putting every line on disk as soon as it is
read. Memory stays bounded: a partial line is capped, only the newest status
message is kept (and parsed a few times per second, not per line), and the
tail kept for failure notices is a fixed-size deque.
"""

from __future__ import annotations

import logging
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from restic_monitor.isotime import to_iso
from restic_monitor.platform import process as osproc
from restic_monitor.restic.command import ResticCommand
from restic_monitor.restic.logsink import LogSink
from restic_monitor.restic.output import (
    Progress,
    Summary,
)
from restic_monitor.restic.reader import OutputReader

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 64 * 1024
CHUNK_BYTES = 256 * 1024
#: How long restic's output may stay open after restic has ended (a helper still holds it).
PIPE_GRACE = 5.0
#: select() works on pipes everywhere but on Windows.
_CAN_POLL_PIPES = sys.platform != "win32"
PROGRESS_PARSE_INTERVAL = 0.2
PROGRESS_LOG_INTERVAL = 10.0
DEFAULT_KILL_AFTER = 30.0


@dataclass
class RunResult:
    """What happened, as restic-monitor saw it; the job's kind judges what it means."""

    exit_code: int | None
    started: float
    ended: float
    duration: float
    summary: Summary | None = None
    progress: Progress | None = None
    tail: list[str] = field(default_factory=list)
    log_problem: str | None = None
    stop_requested: bool = False
    #: The stop came from the job's time limit (``RunPlan.timeout``), not from anyone.
    timed_out: bool = False
    hard_killed: bool = False
    #: Why restic could not be started at all (None when it ran).
    start_error: str | None = None
    #: The run failed inside restic-monitor (a bug), not in restic.
    internal_error: bool = False
    #: restic's process ID while it ran (None when it never started).
    pid: int | None = None
    #: How long its JSON progress had not moved when it ended (None without JSON progress).
    seconds_since_progress: float | None = None
    #: The lines the job's kind asked for (``RunPlan.collect``), masked.
    collected: list[str] = field(default_factory=list)
    #: What the kind's work after restic reported (``RunPlan.finish``).
    finished: dict[str, Any] = field(default_factory=dict)
    #: Why restic was not started at all (a failing before_backup_command), or None.
    skipped: str | None = None

    @property
    def started_restic(self) -> bool:
        return self.pid is not None


class RunHandle(Protocol):
    """A run under way, as the engine and status see it. Thread-safe reads and stop."""

    @property
    def pid(self) -> int | None: ...

    @property
    def progress(self) -> Progress | None: ...

    @property
    def seconds_since_progress(self) -> float | None: ...

    def stop(self) -> None: ...


class ResticRun:
    """Runs one restic command to its end. Thread-safe ``stop`` and ``progress``."""

    def __init__(
        self,
        command: ResticCommand,
        *,
        log_path: Path | None,
        json_progress: bool = False,
        collect: Sequence[str] = (),
        low_priority: bool = False,
        restic_version: str | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        kill_after: float = DEFAULT_KILL_AFTER,
        header: str | None = None,
        clock: Callable[[], float] = time.time,
        on_start: Callable[[int, float | None], None] | None = None,
    ) -> None:
        self.argv = list(command.argv)
        self._shown = command.shown()
        self._env = command.env
        self._log_path = log_path
        self._redactor = command.redactor
        self._low_priority = low_priority
        self._version = restic_version
        self._kill_after = kill_after
        self._header = header
        self._clock = clock
        self._on_start = on_start
        self._on_progress = on_progress

        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stop_requested = False
        self._timed_out = False
        self._hard_killed = False
        self._kill_timer: threading.Timer | None = None
        self._reader = OutputReader(command.redactor, json_progress, on_progress, collect)
        self.pid: int | None = None
        self.pid_started: float | None = None

    # --- thread-safe views --------------------------------------------------

    @property
    def progress(self) -> Progress | None:
        return self._reader.progress

    @property
    def seconds_since_progress(self) -> float | None:
        return self._reader.seconds_since_progress

    @property
    def lines_seen(self) -> int:
        return self._reader.lines_seen

    def tail(self) -> list[str]:
        return self._reader.tail()

    def report(self, progress: Progress) -> None:
        """Progress seen from outside restic (files written), where restic reports none."""
        self._reader.note_progress(progress)
        if self._on_progress is not None:
            try:
                self._on_progress(progress)
            except Exception:
                log.exception("progress listener failed")

    # --- control -------------------------------------------------------------

    def stop(self) -> None:
        """Ask restic to stop gracefully; kill it if it has not ended in time."""
        with self._lock:
            self._stop_requested = True
            proc = self._proc
            if proc is None or self._kill_timer is not None:
                return
            timer = threading.Timer(self._kill_after, self._hard_kill)
            timer.daemon = True
            self._kill_timer = timer
        log.info("asking restic (pid %s) to stop", proc.pid)
        osproc.graceful_stop(proc)
        timer.start()

    def time_is_up(self) -> None:
        """The run's time limit has passed: stop it, and say that was why."""
        with self._lock:
            if not self._stop_requested:
                self._timed_out = True
        self.stop()

    def _hard_kill(self) -> None:
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            log.warning(
                "restic (pid %s) did not stop within %.0f s; killing it", proc.pid, self._kill_after
            )
            with self._lock:
                self._hard_killed = True
            osproc.hard_kill(proc)

    # --- running -----------------------------------------------------------------

    def run(self) -> RunResult:
        """Start restic and block until it has ended and its output is drained."""
        started = self._clock()
        mono = time.monotonic()
        sink = LogSink(self._log_path)
        sink.write(self._header_bytes(started))
        argv = osproc.priority_prefix(self._low_priority) + self.argv
        try:
            with self._lock:
                if self._stop_requested:
                    raise _StoppedBeforeStart
                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    env=self._env,
                    **osproc.popen_options(self._low_priority),
                )
                proc = self._proc
            self._reader.start_stall_clock()  # stalled counts from the start
            pid_started = osproc.process_start_time(proc.pid)
            # Record the process before anyone can see it (status shows self.pid):
            # a monitor killed right after must find it again when restarted.
            if self._on_start is not None:
                try:
                    self._on_start(proc.pid, pid_started)
                except Exception:
                    log.exception("recording the restic process failed")
            self.pid_started = pid_started
            self.pid = proc.pid
        except _StoppedBeforeStart:
            sink.close()
            return self._result(None, started, mono, sink)
        except OSError as exc:
            message = f"cannot start {self.argv[0]}: {exc.strerror or exc}"
            sink.write(f"# {message}\n".encode())
            sink.close()
            self._reader.note(message)
            return self._result(None, started, mono, sink, start_error=message)

        try:
            assert proc.stdout is not None
            self._pump(proc.stdout, sink)
            code = proc.wait()
        finally:
            with self._lock:
                timer = self._kill_timer
            if timer is not None:
                timer.cancel()
            if proc.stdout is not None:
                proc.stdout.close()  # do not wait for the garbage collector to free the pipe
        ended = self._clock()
        sink.write(f"# ended {to_iso(ended)}, exit code {code}\n".encode())
        sink.close()
        return self._result(code, started, mono, sink)

    def _header_bytes(self, started: float) -> bytes:
        lines = [
            f"# restic-monitor: run started {to_iso(started)}",
            f"# restic version: {self._version or 'unknown'}",
            f"# command: {self._shown}",
        ]
        if self._header:
            lines.append(f"# {self._header}")
        return self._redactor.text("\n".join(lines) + "\n").encode()

    def _result(
        self,
        code: int | None,
        started: float,
        mono: float,
        sink: LogSink,
        start_error: str | None = None,
    ) -> RunResult:
        quiet = self.seconds_since_progress
        tail, summary, progress = self._reader.tail(), self._reader.summary, self._reader.progress
        with self._lock:
            stop_requested = self._stop_requested
            timed_out = self._timed_out
            hard_killed = self._hard_killed
        return RunResult(
            exit_code=code,
            started=started,
            ended=self._clock(),
            duration=time.monotonic() - mono,
            summary=summary,
            progress=progress,
            tail=tail,
            log_problem=sink.problem,
            stop_requested=stop_requested,
            timed_out=timed_out,
            hard_killed=hard_killed,
            start_error=start_error,
            pid=self.pid,
            seconds_since_progress=quiet,
            collected=list(self._reader.collected),
        )

    def _pump(self, pipe: IO[bytes], sink: LogSink) -> None:
        fd = pipe.fileno()
        partial = b""
        last_status: bytes | None = None
        last_parse = 0.0
        last_logged = time.monotonic()
        exited_at: float | None = None
        while True:
            if _CAN_POLL_PIPES:
                # The pipe ends when every process holding it has closed it: a helper
                # restic started (ssh, rclone, a password command) may outlive it.
                # So check once a second whether restic itself is gone.
                ready, _, _ = select.select([fd], [], [], 1.0)
                if not ready:
                    proc = self._proc
                    if exited_at is None and proc is not None and proc.poll() is not None:
                        exited_at = time.monotonic()
                    if exited_at is not None and time.monotonic() - exited_at > PIPE_GRACE:
                        log.warning(
                            "restic has ended but a process it started still holds its "
                            "output; not waiting for it"
                        )
                        break
                    continue
            try:
                chunk = os.read(fd, CHUNK_BYTES)
            except OSError:
                break
            if not chunk:
                break
            data = partial + chunk if partial else chunk
            lines = data.split(b"\n")
            partial = lines.pop()
            if len(partial) > MAX_LINE_BYTES:
                lines.append(partial)
                partial = b""
            out, status = self._reader.feed(lines)
            if status is not None:
                last_status = status
            now = time.monotonic()
            if last_status is not None and now - last_parse >= PROGRESS_PARSE_INTERVAL:
                last_parse = now
                progress = self._reader.set_progress(last_status)
                last_status = None
                if progress is not None and now - last_logged >= PROGRESS_LOG_INTERVAL:
                    last_logged = now
                    out.append(f"progress: {progress.describe()}")
            if out:
                text = "\n".join(out) + "\n"
                sink.write(self._redactor.data(text.encode("utf-8", "replace")))
        if partial:
            out, status = self._reader.feed([partial])
            if status is not None:
                last_status = status
            if out:
                sink.write(self._redactor.data(("\n".join(out) + "\n").encode()))
        if last_status is not None:
            self._reader.set_progress(last_status)


class _StoppedBeforeStart(Exception):
    pass
