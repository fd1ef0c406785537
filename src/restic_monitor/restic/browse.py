"""Reading a repository without changing it: snapshots, one folder, a search.

These are not jobs: they write nothing, so they run beside a backup (restic
allows any number of readers) and take no lock (``--no-lock``), which also
spares a remote repository two writes per listing. A folder is listed one
level at a time (``ls SNAPSHOT FOLDER`` without ``--recursive``; the top
level is ``/``, since ``ls SNAPSHOT`` alone walks the whole snapshot).
Anything restic says is masked before it reaches an exception message.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from restic_monitor.restic.command import Restic, ResticCommand, no_window_flags
from restic_monitor.restic.outcomes import classify
from restic_monitor.restic.snapshots import (
    Entry,
    Listing,
    Match,
    NoSuchSnapshot,
    Snapshot,
    choose,
    entry_of,
    parse_find,
    parse_ls,
    parse_snapshots,
)


class BrowseError(Exception):
    """restic could not answer; the message says why in words (secrets masked)."""


@dataclass(frozen=True)
class Tree:
    """Where a snapshot's folders are: tree paths are restic's, ``/C/Users`` on Windows."""

    folder: str

    @staticmethod
    def normal(path: str) -> str:
        """A tree path as restic lists it: ``/`` separated, no trailing slash."""
        path = path.replace("\\", "/")
        if len(path) >= 2 and path[1] == ":":  # C:\Users -> /C/Users
            path = "/" + path[0] + path[2:]
        if not path.startswith("/"):
            path = "/" + path
        while "//" in path:
            path = path.replace("//", "/")
        return path.rstrip("/") or "/"


class Browser:
    """One profile's repository, read through its restic. ``cancel`` from any thread."""

    def __init__(self, restic: Restic) -> None:
        self.restic = restic
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[Any] | None = None
        self._cancelled = False

    def command(self, *args: str) -> ResticCommand:
        return self.restic.command("--no-lock", *args)

    def cancel(self) -> None:
        """Stop the query under way and refuse new ones (the window is closing)."""
        with self._lock:
            self._cancelled = True
        self.interrupt()

    def interrupt(self) -> None:
        """Stop the query under way only (a newer one replaces it)."""
        with self._lock:
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def dump(self, snapshot: str, path: str, limit: int) -> bytes:
        """The first ``limit`` bytes of a file of a snapshot (a preview), never more."""
        cmd = self.command("dump", snapshot, Tree.normal(path))
        proc = self._spawn(cmd, text=False)
        try:
            assert proc.stdout is not None
            data: bytes = proc.stdout.read(limit)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
            with self._lock:
                self._proc = None
        return data

    # --- queries ---------------------------------------------------------------------

    def snapshots(self) -> list[Snapshot]:
        """Every snapshot, newest first."""
        out = self._output("snapshots", "--json")
        try:
            return parse_snapshots(out)
        except ValueError as exc:
            raise BrowseError(f"restic snapshots printed something unexpected: {exc}") from None

    def snapshot(self, wanted: str) -> Snapshot:
        """The snapshot meant by an id, a short id or ``latest``."""
        try:
            return choose(self.snapshots(), wanted)
        except NoSuchSnapshot as exc:
            raise BrowseError(str(exc)) from None

    def ls(self, snapshot: str, folder: str = "/") -> Listing:
        """One folder of a snapshot (its direct entries), folders first."""
        folder = Tree.normal(folder)
        listing = parse_ls(self._output("ls", "--json", snapshot, folder).splitlines(), folder)
        if listing.snapshot is None:
            raise BrowseError(
                f"no snapshot {snapshot!r} in the repository (see `restic-monitor snapshots`)"
            )
        if not listing.folder_found:
            raise BrowseError(f"{folder} is not in snapshot {listing.snapshot.short_id}")
        return listing

    def entry(self, snapshot: str, path: str) -> Entry | None:
        """One item of a snapshot (from its folder's listing), or None when absent."""
        path = Tree.normal(path)
        if path == "/":
            return Entry("/", "dir", "/", None, "")
        parent = path.rsplit("/", 1)[0] or "/"
        try:
            listing = self.ls(snapshot, parent)
        except BrowseError as exc:
            if " is not in snapshot " in str(exc):
                return None
            raise
        return next((e for e in listing.entries if e.path == path), None)

    def walk(self, snapshot: str, folder: str) -> Iterator[Entry]:
        """Everything under a folder of a snapshot (not the folder itself), as restic
        prints it: read line by line, never held whole."""
        folder = Tree.normal(folder)
        cmd = self.command("ls", "--json", "--recursive", snapshot, folder)
        prefix = folder.rstrip("/") + "/"
        proc = self._spawn(cmd, text=True)
        try:
            import json

            assert proc.stdout is not None
            for line in proc.stdout:
                if not line.startswith('{"name"'):
                    continue
                try:
                    node = json.loads(line)
                except ValueError:
                    continue
                entry = entry_of(node)
                if entry.path.startswith(prefix):
                    yield entry
            err = proc.stderr.read() if proc.stderr else ""
            code = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            with self._lock:
                self._proc = None
        if code != 0:
            raise self._error(cmd, code, err)

    def find(self, pattern: str, snapshot: str | None = None) -> list[Match]:
        """Where a name (a pattern: ``*.odt``) appears, in one snapshot or in all."""
        args = ["find", "--json"]
        if snapshot:
            args += ["--snapshot", snapshot]
        out = self._output(*args, "--", pattern)
        try:
            return parse_find(out)
        except ValueError as exc:
            raise BrowseError(f"restic find printed something unexpected: {exc}") from None

    # --- running restic -------------------------------------------------------------

    def _spawn(self, cmd: ResticCommand, *, text: bool) -> subprocess.Popen[Any]:
        """Start restic for a query, as the one :meth:`interrupt` stops (none after
        :meth:`cancel`); its output is read by the caller, as text or bytes."""
        with self._lock:
            if self._cancelled:
                raise BrowseError("cancelled")
            try:
                proc: subprocess.Popen[Any] = subprocess.Popen(
                    list(cmd.argv),
                    env=cmd.env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE if text else subprocess.DEVNULL,
                    text=text,
                    encoding="utf-8" if text else None,
                    errors="replace" if text else None,
                    creationflags=no_window_flags(),
                )
            except OSError as exc:
                raise BrowseError(f"cannot start {cmd.argv[0]}: {exc.strerror or exc}") from None
            self._proc = proc
        return proc

    def _output(self, *args: str) -> str:
        cmd = self.command(*args)
        proc = self._spawn(cmd, text=True)
        try:
            out, err = proc.communicate()
        finally:
            with self._lock:
                self._proc = None
        if proc.returncode != 0:
            raise self._error(cmd, proc.returncode, err)
        return str(out)

    def _error(self, cmd: ResticCommand, code: int, err: str) -> BrowseError:
        if self._cancelled:
            return BrowseError("cancelled")
        lines = [_exit_error(line) for line in cmd.masked_lines(err)]
        if any("no matching ID found" in line for line in lines):
            wanted = next((a for a in cmd.argv[3:] if not a.startswith("-")), "")
            return BrowseError(
                f"no snapshot {wanted!r} in the repository (see `restic-monitor snapshots`)"
            )
        cls = classify(code, lines)
        said = next((ln for ln in reversed(lines) if ln.lower().startswith("fatal")), "")
        if not said:
            said = lines[-1] if lines else ""
        detail = f" ({said})" if said and cls.reason in ("exit_code", "fatal") else ""
        message = cls.message if cls.reason != "fatal" else f"restic stopped with an error{detail}"
        if cls.reason == "exit_code":
            message = f"restic {cmd.argv[2]} failed (exit code {code}){detail}"
        return BrowseError(message)


def _exit_error(line: str) -> str:
    """restic 0.18+'s last words as JSON (``exit_error``) as the sentence they hold."""
    if line.startswith('{"message_type":"exit_error"'):
        import json

        try:
            return "Fatal: " + str(json.loads(line).get("message", ""))
        except ValueError:
            return line
    return line
