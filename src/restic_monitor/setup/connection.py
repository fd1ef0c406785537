"""Can restic open this repository? The answer in words a user acts on.

"Fatal: unable to open config file: Stat: stat /x/config: no such file or
directory" means "there is no repository here yet, create one?"; "dial tcp:
lookup nas: no such host" means "the name nas is not known". Setup tests the
connection before it writes anything, and the settings window re-tests it,
through :func:`test_connection`; both say the verdict with :meth:`Verdict.words`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

#: How long one test may take: restic 0.17+ retries an unreachable server.
TEST_TIMEOUT = 60.0
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

    cmd = Restic(restic, env).command("--no-lock", "cat", "config")
    try:
        done = cmd.run(timeout=timeout)
    except subprocess.TimeoutExpired:
        return Verdict("repository_unreachable", f"no answer within {timeout:.0f} s")
    lines = cmd.masked_lines(done.stderr)
    said = next((ln for ln in reversed(lines) if "atal" in ln), lines[-1] if lines else "")
    if done.returncode == 0:
        return Verdict("ok")
    if any("permission denied" in ln.lower() for ln in lines):
        return Verdict("permission_denied", said)
    reason = classify(done.returncode, lines).reason
    network = _network_line(lines)
    if reason in ("repository_missing", "wrong_password", "locked"):
        return Verdict(reason, said)
    if reason == "repository_unreachable" or network:
        return Verdict("repository_unreachable", network or said)
    return Verdict("fatal", said)


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
