"""Why a command to the engine could not be carried out; the text is for the user."""

from __future__ import annotations


class EngineError(Exception):
    """A command that cannot be carried out; the text is for the user."""


class ConfigInvalid(EngineError):
    """A command that needs a valid configuration met an invalid one."""


class NothingToDo(EngineError):
    """The job asked for has nothing to act on (forget without a retention policy)."""


class UnknownProfile(EngineError):
    pass
