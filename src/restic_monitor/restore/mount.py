"""The repository as folders (``restic mount``): started, waited for, ended cleanly.

restic serves the mount for as long as it runs and ends when the folder is
unmounted (or on Ctrl-C, unmounting it itself). Each mount restic-monitor
makes is written down in the home (``mounts.json``) so that ``unmount`` and
a restarted tray can end it without the user hunting for the folder.
FUSE is checked first, so a machine without it gets a sentence saying what
to install instead of restic's "fusermount: exec: not found".
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from restic_monitor.platform.process import process_alive
from restic_monitor.restic.command import Restic, no_window_flags

#: How long restic may take to serve the folder (it reads the snapshot list first).
MOUNT_TIMEOUT = 60.0
_MACFUSE = ("/Library/Filesystems/macfuse.fs", "/Library/Filesystems/osxfuse.fs")


class MountError(Exception):
    pass


def fuse_problem() -> str | None:
    """Why the repository cannot be mounted on this machine, or None when it can."""
    if sys.platform == "win32":
        return (
            "restic cannot mount a repository on Windows (it has no FUSE there); use "
            "`restic-monitor restore` or the tray's Restore files… window"
        )
    if sys.platform == "darwin":
        if not any(os.path.exists(p) for p in _MACFUSE):
            return "mounting needs macFUSE, which is not installed (https://macfuse.github.io)"
        return None
    if not os.path.exists("/dev/fuse"):
        return "mounting needs FUSE, and /dev/fuse is missing (install fuse3, load the fuse module)"
    if _fusermount() is None:
        return "mounting needs fusermount3 or fusermount, found on no PATH (install fuse3)"
    return None


def _fusermount() -> str | None:
    return shutil.which("fusermount3") or shutil.which("fusermount")


def unmount_command(folder: Path) -> list[str]:
    if sys.platform == "darwin":
        return ["umount", str(folder)]
    return [_fusermount() or "fusermount", "-u", str(folder)]


def unmount(folder: Path) -> str | None:
    """Unmount a folder; what went wrong, or None."""
    try:
        out = subprocess.run(
            unmount_command(folder), capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if out.returncode != 0:
        return (out.stderr or out.stdout).strip() or f"exit code {out.returncode}"
    return None


class Registry:
    """The mounts this home has made: folder -> restic's process ID."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in data.items() if isinstance(v, int) and process_alive(v)}

    def _write(self, data: dict[str, int]) -> None:
        tmp = self.path.with_suffix(".tmp")
        with contextlib.suppress(OSError):
            tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
            os.replace(tmp, self.path)

    def add(self, folder: Path, pid: int) -> None:
        data = self.read()
        data[str(folder)] = pid
        self._write(data)

    def remove(self, folder: Path) -> None:
        data = self.read()
        if data.pop(str(folder), None) is not None or not data:
            self._write(data)


class Mount:
    """One ``restic mount`` of a profile's repository at a folder."""

    def __init__(
        self, restic: Restic, folder: Path, log_path: Path, registry: Registry | None = None
    ) -> None:
        self.restic = restic
        self.folder = folder
        #: restic's output goes to a file: a pipe nobody reads would stall a long mount.
        self.log_path = log_path
        self.registry = registry
        self.proc: subprocess.Popen[bytes] | None = None
        self._made_folder = False

    def start(self) -> None:
        """Start restic; returns once it is serving (``ready``) is for the caller to poll."""
        problem = fuse_problem()
        if problem is not None:
            raise MountError(problem)
        if not self.folder.exists():
            self.folder.mkdir(parents=True)
            self._made_folder = True
        elif os.path.ismount(self.folder):
            raise MountError(f"{self.folder} is already a mount point")
        elif any(self.folder.iterdir()):
            raise MountError(f"{self.folder} is not empty; mount into an empty folder")
        cmd = self.restic.command("mount", str(self.folder))
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.proc = subprocess.Popen(
                list(cmd.argv),
                env=cmd.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                creationflags=no_window_flags(),
            )
        except OSError as exc:
            self._cleanup()
            raise MountError(f"cannot start {cmd.argv[0]}: {exc.strerror or exc}") from None
        if self.registry is not None:
            self.registry.add(self.folder, self.proc.pid)
        self._shown = cmd
        self._drain = threading.Thread(target=self._copy_output, name="restic-mount", daemon=True)
        self._drain.start()

    def _copy_output(self) -> None:
        """restic's words into the log, masked; drained for as long as restic runs."""
        assert self.proc is not None and self.proc.stdout is not None
        try:
            with open(self.log_path, "w", encoding="utf-8") as log:
                for raw in self.proc.stdout:
                    for line in self._shown.masked_lines(raw):
                        log.write(line + "\n")
                    log.flush()
        except (OSError, ValueError):
            pass

    def ready(self) -> bool:
        """Whether restic serves the folder; :class:`MountError` when it has given up."""
        if os.path.ismount(self.folder):
            return True
        if self.proc is not None and self.proc.poll() is not None:
            self._drain.join(5)
            try:
                out = self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
            except OSError:
                out = ""
            lines = out.splitlines()
            self._cleanup()
            code = self.proc.returncode
            raise MountError(lines[-1] if lines else f"restic mount exited ({code})")
        return False

    def wait_ready(self, timeout: float = MOUNT_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() > deadline:
                self.stop()
                raise MountError(f"restic did not serve {self.folder} within {timeout:.0f} s")
            time.sleep(0.1)

    def stop(self, timeout: float = 15.0) -> None:
        """Unmount, and wait for restic to end (killed if it will not)."""
        if os.path.ismount(self.folder):
            unmount(self.folder)
        proc = self.proc
        if proc is not None:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self._drain.join(5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self.registry is not None:
            self.registry.remove(self.folder)
        if self._made_folder and not os.path.ismount(self.folder):
            with contextlib.suppress(OSError):
                self.folder.rmdir()
