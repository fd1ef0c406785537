"""Telling other systems: health-check pings for backups, every notice to a webhook or ntfy.

A ``healthcheck_url`` (healthchecks.io's protocol, or any server that speaks
it) gets ``/start`` when a backup starts, the bare URL when it succeeds and
``/fail`` when it does not (a backup a before-hook skipped included), with
the end of the run's log as the body. ``notify_webhook_url`` gets every
notification as JSON; ``ntfy_url`` gets it as ntfy wants it. All of it is
sent by one worker thread, in order, each request with a timeout and a few
retries, so a dead server never delays a backup; its failure is logged once
until it works again. The URLs are secrets (a check's URL is its key): they
are masked wherever they would be shown.
"""

from __future__ import annotations

import collections
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restic_monitor.automation.delivery import SaidOnce, deliver
from restic_monitor.isotime import to_iso

if TYPE_CHECKING:
    from restic_monitor.config.profile import Config
    from restic_monitor.engine.host import Engine

log = logging.getLogger(__name__)

#: healthchecks.io keeps the first 100 kB of a body; the end of the log is what matters.
BODY_BYTES = 10_000
HEALTHCHECK_VARIABLE = "RESTIC_MONITOR_HEALTHCHECK_URL"
WEBHOOK_VARIABLE = "RESTIC_MONITOR_WEBHOOK_URL"
NTFY_VARIABLE = "RESTIC_MONITOR_NTFY_URL"
#: A notice's kind as ntfy's priority (1 min to 5 max) and tags (emoji names).
_NTFY = {"failure": ("4", "warning"), "warning": ("4", "warning"), "config": ("4", "warning"),
         "success": ("3", "white_check_mark")}  # fmt: skip


@dataclass
class Request:
    what: str  # for the log: "the health check ping (start)"
    key: str  # one destination: its failure is said once
    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def destinations(config: Config) -> dict[str, str]:
    """A profile's healthcheck, webhook and ntfy URLs (env.json wins over settings.json)."""
    settings, env = config.settings, config.env
    return {
        "healthcheck": env.get(HEALTHCHECK_VARIABLE) or settings.healthcheck_url,
        "webhook": env.get(WEBHOOK_VARIABLE) or settings.notify_webhook_url,
        "ntfy": env.get(NTFY_VARIABLE) or settings.ntfy_url,
    }


def log_tail(path: Path | None, limit: int = BODY_BYTES) -> bytes:
    """The end of a run's log (already masked as it was written), at most ``limit`` bytes."""
    if path is None:
        return b""
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - limit))
            return fh.read()
    except OSError:
        return b""


def send(request: Request) -> str | None:
    """POST with retries; what went wrong, or None."""
    return deliver("POST", request.url, request.body, request.headers)


class Pings:
    """Listens to the engine; one worker thread sends, in order."""

    def __init__(self, engine: Engine, mask: Callable[[str], str] | None = None) -> None:
        self.engine = engine
        self.mask = mask or _mask
        self._queue: collections.deque[Request] = collections.deque()
        self._cond = threading.Condition()
        self._closed = False
        self._once = SaidOnce(log)
        self._thread = threading.Thread(target=self._main, name="pings", daemon=True)

    def start(self) -> None:
        self.engine.subscribe(self._on_event)
        self._thread.start()

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)

    # --- what to send ------------------------------------------------------------------

    def _on_event(self, event: str, data: dict[str, Any]) -> None:
        profile = data.get("profile")
        if not isinstance(profile, str):
            return
        config = self.engine.config(profile)
        if config is None:
            return
        urls = destinations(config)
        if event == "started" and urls["healthcheck"]:
            self._put(Request("the health check ping (start)", urls["healthcheck"],
                              _join(urls["healthcheck"], "start"), b""))  # fmt: skip
        elif event == "finished" and data.get("kind") == "backup" and urls["healthcheck"]:
            record = data.get("record")
            ok = bool(getattr(record, "counted_success", False))
            body = log_tail(self.engine.home.profile(profile).last_log)
            if not ok and getattr(record, "message", None):
                body = body + f"\n{record.message}\n".encode()  # type: ignore[union-attr]
            what = "the health check ping (" + ("success" if ok else "fail") + ")"
            url = urls["healthcheck"] if ok else _join(urls["healthcheck"], "fail")
            self._put(Request(what, urls["healthcheck"], url, body[-BODY_BYTES:]))
        elif event == "notice":
            self._notice(profile, data, urls)

    def _notice(self, profile: str, data: dict[str, Any], urls: dict[str, str]) -> None:
        title, body, kind = str(data.get("title", "")), str(data.get("body", "")), data.get("kind")
        if urls["webhook"]:
            level = {"failure": "error", "config": "error"}.get(str(kind), str(kind))
            payload = {"title": title, "message": body, "level": level, "profile": profile,
                       "time": to_iso(time.time()), "host": socket.gethostname()}  # fmt: skip
            self._put(Request("the notification webhook", urls["webhook"], urls["webhook"],
                              json.dumps(payload).encode(),
                              {"Content-Type": "application/json"}))  # fmt: skip
        if urls["ntfy"]:
            priority, tags = _NTFY.get(str(kind), ("3", "information_source"))
            where = f" ({profile})" if profile != "default" else ""
            headers = {"Title": _header(f"{title}{where}"), "Priority": priority, "Tags": tags}
            self._put(Request("the ntfy notification", urls["ntfy"], urls["ntfy"],
                              body.encode(), headers))  # fmt: skip

    # --- sending -----------------------------------------------------------------------

    def _put(self, request: Request) -> None:
        with self._cond:
            if self._closed:
                return
            self._queue.append(request)
            self._cond.notify()

    def _main(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
                request = self._queue.popleft()
            try:
                problem = send(request)
            except Exception:
                log.exception("sending %s failed", request.what)
                continue
            self._said(request, problem)

    def _said(self, request: Request, problem: str | None) -> None:
        where = self.mask(request.key)
        self._once.report(
            request.key,
            problem,
            f"cannot send {request.what} to {where}: {self.mask(problem or '')} "
            "(said once until it works again)",
            f"{request.what} reaches {where} again",
        )


def _join(url: str, tail: str) -> str:
    return url.rstrip("/") + "/" + tail


def _header(text: str) -> str:
    """HTTP header values are Latin-1: anything else as close as it gets."""
    return text.encode("latin-1", "replace").decode("latin-1").replace("\n", " ")


def _mask(text: str) -> str:
    """A check's URL is its key: keep the server, hide the rest."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
    except ValueError:
        return "***"
    if parts.scheme and parts.netloc:
        host = parts.hostname or "***"
        return f"{parts.scheme}://{host}/***"
    return text
