"""Notices for the user: the no-backup warning, failed backups, optional success.

Headless, a notice goes to the log and, when a desktop notification service
answers on the session bus, to the desktop as well. The tray supplies its
own notifier. Notices are built from classified reasons and redacted output,
so they never carry a value from env.json.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    kind: str  # "warning" | "failure" | "success" | "config"
    title: str
    body: str
    #: What the notice is about within its profile ("backup", "config", "no-backup",
    #: a maintenance kind): a newer notice about it replaces this one, and it is
    #: withdrawn when that problem is gone.
    topic: str | None = None
    profile: str | None = None

    @property
    def key(self) -> str | None:
        return f"{self.profile or 'default'}:{self.topic}" if self.topic else None


def notice_key(profile: str, topic: str) -> str:
    return f"{profile}:{topic}"


def withdraw_all(notifier: object) -> None:
    """Withdraw every critical notice shown (the app quits), where the notifier can."""
    method = getattr(notifier, "withdraw_all", None)
    if method is not None:
        try:
            method()
        except Exception:
            log.exception("withdrawing the notifications failed")


class Notifier(Protocol):
    def notify(self, notice: Notice) -> None: ...


def withdraw(notifier: object, key: str) -> None:
    """Withdraw the notice about ``key`` where the notifier can (a log cannot)."""
    method = getattr(notifier, "withdraw", None)
    if method is not None:
        method(key)


class LogNotifier:
    def notify(self, notice: Notice) -> None:
        level = logging.INFO if notice.kind == "success" else logging.WARNING
        log.log(level, "notice: %s: %s", notice.title, notice.body.replace("\n", " | "))


class MultiNotifier:
    def __init__(self, notifiers: Iterable[Notifier]) -> None:
        self.notifiers = list(notifiers)

    def notify(self, notice: Notice) -> None:
        for notifier in self.notifiers:
            try:
                notifier.notify(notice)
            except Exception:
                log.exception("notifier %r failed", notifier)

    def withdraw_all(self) -> None:
        for notifier in self.notifiers:
            withdraw_all(notifier)

    def withdraw(self, key: str) -> None:
        for notifier in self.notifiers:
            try:
                withdraw(notifier, key)
            except Exception:
                log.exception("notifier %r failed to withdraw %s", notifier, key)


def headless_notifier() -> Notifier:
    from restic_monitor.platform.desktop_notifications import DesktopNotifier

    return MultiNotifier([LogNotifier(), DesktopNotifier()])
