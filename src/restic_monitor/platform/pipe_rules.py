"""The decisions behind the Windows control pipe, kept free of Windows calls.

They are pure so that the tests check them on every OS: which names a client
may connect to, the security descriptor the instance gives its pipe, and when
a client trusts the process serving it. :mod:`.named_pipe` makes the calls.
"""

from __future__ import annotations

import re

#: Every instance listens on a fresh random name under this prefix (see :func:`pipe_name`).
PIPE_PREFIX = "\\\\.\\pipe\\restic-monitor-"
_PIPE_NAME = re.compile(re.escape(PIPE_PREFIX) + r"[0-9a-f]{32}")
_SID = re.compile(r"S-1-[0-9]+(-[0-9]+)+")


def pipe_name(random_hex: str) -> str:
    """The pipe of one instance: unguessable, so that nobody can take the name beforehand.

    The instance also creates it first-instance-only, so even a name taken
    beforehand would make it fail rather than share a pipe with a stranger.
    """
    name = PIPE_PREFIX + random_hex
    if not _PIPE_NAME.fullmatch(name):
        raise ValueError(f"not 32 lowercase hex digits: {random_hex!r}")
    return name


def is_local_pipe_name(address: str) -> bool:
    """Whether a published address is a pipe of ours on this machine.

    Anything else is refused: ``\\\\server\\pipe\\…`` would carry the token over the network.
    """
    return _PIPE_NAME.fullmatch(address) is not None


def owner_only_sddl(user_sid: str) -> str:
    """The pipe's security descriptor: owned by the user, who alone has any access.

    ``O:`` the user is the owner (an elevated process would otherwise make it
    Administrators); ``D:P(A;;GA;;;user)`` a protected DACL whose only entry
    gives the user full access, which includes creating further instances, so
    nobody else can open the pipe or add an instance of their own to it;
    ``S:(ML;;NW;;;ME)`` a medium integrity label, so that the user's ordinary
    (not elevated) command line can reach an instance started with highest
    privileges by the logon task, while lower-integrity processes cannot write to it.
    """
    if not _SID.fullmatch(user_sid):
        raise ValueError(f"not a SID: {user_sid!r}")
    return f"O:{user_sid}D:P(A;;GA;;;{user_sid})S:(ML;;NW;;;ME)"


def server_problem(me: str, process_owner: str | None, pipe_owner: str | None) -> str | None:
    """Why the process behind a pipe is not the user's own, or None when it is.

    The owner of the serving process decides. When it cannot be read (the
    process may be elevated), the pipe's owner does: the instance sets it to
    its user explicitly, and nobody can make another user the owner of their
    pipe. When neither can be read, nothing is trusted.
    """
    if process_owner is not None:
        if process_owner.upper() == me.upper():
            return None
        return f"the process serving it runs as {process_owner}"
    if pipe_owner is not None:
        if pipe_owner.upper() == me.upper():
            return None
        return f"it belongs to {pipe_owner}"
    return "its owner cannot be determined"


def untrusted_message(address: str, why: str) -> str:
    return f"the control pipe {address} is not owned by you ({why}); not sending anything"
