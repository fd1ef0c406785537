"""Can restic open this repository? The answer in words a user acts on.

"Fatal: unable to open config file: Stat: stat /x/config: no such file or
directory" means "there is no repository here yet, create one?"; "dial tcp:
lookup nas: no such host" means "the name nas is not known". Setup tests the
connection before it writes anything, and the settings window re-tests it,
through :func:`test_connection`; both say the verdict with :meth:`Verdict.words`.

restic 0.17 and later retry a failing backend for up to 15 minutes (a refused
connection, an S3 bucket that does not exist yet), saying so on each try. The
test reads what restic says while it runs and answers from the first retried
error that names its cause, or after a short grace when it names none,
instead of waiting for restic to give up.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from restic_monitor.restic.command import ResticCommand

#: How long one test may take when restic says nothing at all.
TEST_TIMEOUT = 60.0
#: How long it waits on once restic retries an error that names no known cause.
RETRY_GRACE = 10.0
#: restic 0.17+: ``Stat(<config/>) returned error, retrying after 1.4s: <the error>``.
_RETRYING = re.compile(r"returned error, retrying after [^:]*: (?P<error>.+)$")
INIT_TIMEOUT = 300.0

_WORDS = {
    "repository_missing": "There is no repository at {where} yet.",
    "wrong_password": "The password does not open the repository at {where}.",
    "permission_denied": "Permission denied at {where}.",
    "locked": "The repository at {where} is locked by another restic.",
    "fatal": "restic cannot open the repository at {where}.",
}

#: What restic (Go's net package, ssh) says, and what it means for the user.
_UNREACHABLE = (
    (("no such host", "could not resolve", "name or service not known", "server misbehaving"),
     "the server's name is not known (DNS): check its spelling"),
    (("connection refused",),
     "nothing answers there (connection refused): is the server running, the port right?"),
    (("timeout", "timed out", "no answer within", "deadline exceeded"),
     "no answer (timeout): is the server on, the network up?"),
    (("no route to host", "network is unreachable"),
     "no route to the server: is the network up?"),
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    #: ok, repository_missing, wrong_password, repository_unreachable,
    #: permission_denied, locked or fatal
    reason: str
    #: restic's own last words (masked), for the details.
    said: str = ""

    @property
    def ok(self) -> bool:
        return self.reason == "ok"

    def words(self, where: str) -> str:
        """One sentence for the user, naming the (masked) location."""
        if self.reason == "ok":
            return f"The repository at {where} opens with this password."
        if self.reason == "repository_unreachable":
            said = self.said.lower()
            for needles, words in _UNREACHABLE:
                if any(n in said for n in needles):
                    return f"Cannot reach {where}: {words}."
            return f"Cannot reach {where} (the name, the port, the network?)."
        return _WORDS.get(self.reason, _WORDS["fatal"]).format(where=where)


def test_connection(restic: str, env: Mapping[str, str], timeout: float = TEST_TIMEOUT) -> Verdict:
    """Open the repository's config without a lock (nothing is changed)."""
    from restic_monitor.restic.command import Restic
    from restic_monitor.restic.outcomes import classify

    code, lines, error = _ask(Restic(restic, env).command("--no-lock", "cat", "config"), timeout)
    if code is None:  # stopped: restic kept retrying, or said nothing in time
        if not error:
            return Verdict("repository_unreachable", f"no answer within {timeout:.0f} s")
        return Verdict(_reason_of(error) or "fatal", error)
    said = next((ln for ln in reversed(lines) if "atal" in ln), lines[-1] if lines else "")
    if code == 0:
        return Verdict("ok")
    if any(_denied(ln) for ln in lines):
        return Verdict("permission_denied", said)
    reason = classify(code, lines).reason
    network = _network_line(lines)
    if reason in ("repository_missing", "wrong_password", "locked"):
        return Verdict(reason, said)
    if reason == "repository_unreachable" or network:
        return Verdict("repository_unreachable", network or said)
    return Verdict("fatal", said)


def _denied(text: str) -> bool:
    """restic passes the system's words through, whichever backend said them."""
    return "permission denied" in text.lower()


def _reason_of(error: str) -> str | None:
    """What a backend error restic retries says about the repository, if anything."""
    from restic_monitor.restic.outcomes import reason_from_messages

    if _denied(error):
        return "permission_denied"
    lowered = error.lower()
    # S3 (restic counts only a missing object as "no repository", and retries this):
    if "bucket does not exist" in lowered or "nosuchbucket" in lowered:
        return "repository_missing"
    return reason_from_messages([error])


def _ask(cmd: ResticCommand, timeout: float) -> tuple[int | None, list[str], str]:
    """Run restic, reading its stderr as it comes: (exit code, masked lines, "") when it
    ends; (None, lines, the error it retries) when stopped for that, or on time."""
    from restic_monitor.platform.process import hard_kill, popen_options

    proc = subprocess.Popen(
        list(cmd.argv), env=cmd.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, **popen_options(low_priority=False),
    )  # fmt: skip
    said: queue.Queue[bytes | None] = queue.Queue()

    def pump(pipe: Any) -> None:
        for raw in pipe:
            said.put(raw)
        said.put(None)

    reader = threading.Thread(target=pump, args=(proc.stderr,), daemon=True)
    reader.start()
    lines: list[str] = []
    error = ""
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                raw = said.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                return None, lines, error
            if raw is None:
                return proc.wait(), lines, ""
            for line in cmd.masked_lines(raw):
                lines.append(line)
                retrying = _RETRYING.search(line)
                if retrying:
                    error = retrying["error"].strip()
                    if _reason_of(error):
                        return None, lines, error
                    deadline = min(deadline, time.monotonic() + RETRY_GRACE)
    finally:
        hard_kill(proc)
        proc.wait()
        reader.join(5)
        if proc.stderr is not None:
            proc.stderr.close()


def _network_line(lines: list[str]) -> str:
    """restic's line that says why the network failed, if one does."""
    needles = [n for group, _ in _UNREACHABLE for n in group]
    return next((ln for ln in lines if any(n in ln.lower() for n in needles)), "")


def init_repository(restic: str, env: Mapping[str, str]) -> str | None:
    """``restic init``; None when it worked, else restic's last (masked) line."""
    from restic_monitor.restic.command import Restic

    cmd = Restic(restic, env).command("init")
    try:
        done = cmd.run(timeout=INIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"no answer within {INIT_TIMEOUT:.0f} s"
    if done.returncode == 0:
        return None
    return (cmd.masked_lines(done.stderr) or [f"exit code {done.returncode}"])[-1]
