"""How the engine tells the user, and takes it back: its notices on their way to the notifier.

The notice is named after its profile where a home has several (or the
profile is not ``default``), carries the profile for the front end's buttons,
and goes out as an event too; a notifier that fails never stops the engine.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

from restic_monitor.notify import Notice, Notifier, notice_key, withdraw
from restic_monitor.paths import DEFAULT_PROFILE

log = logging.getLogger(__name__)


def send(
    notifier: Notifier,
    emit: Callable[..., Any],
    profile: str,
    notice: Notice,
    labelled: bool,
) -> None:
    title = notice.title
    if labelled or profile != DEFAULT_PROFILE:
        title = f"{notice.title} ({profile})"
    notice = dataclasses.replace(notice, title=title, profile=profile)
    try:
        notifier.notify(notice)
    except Exception:
        log.exception("notification failed")
    emit("notice", profile=profile, kind=notice.kind, title=notice.title, body=notice.body)


def withdraw_topics(notifier: Notifier, profile: str, topics: Iterable[str]) -> None:
    """The problems behind these notices are gone: take them off the screen."""
    for topic in topics:
        try:
            withdraw(notifier, notice_key(profile, topic))
        except Exception:
            log.exception("withdrawing a notification failed")
