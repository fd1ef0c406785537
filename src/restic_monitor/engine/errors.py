"""Why a command to the engine could not be carried out; the text is for the user."""

from __future__ import annotations


class EngineError(Exception):
    """A command that cannot be carried out; the text is for the user."""


class ConfigInvalid(EngineError):
    """A command that needs a valid configuration met an invalid one."""


class UnknownProfile(EngineError):
    pass
