"""Writing and pushing the metrics after every job, from a worker that never holds a job up.

The engine's events only wake the worker; it reads the status and the
history itself, writes each ``metrics_textfile`` atomically (a temporary
file renamed over the old one, so the textfile collector never reads half a
file) and pushes each profile's metrics to its ``pushgateway_url``. A push
that fails is retried a few times with a pause between, and said once in
the log (and once more when pushes work again), not per attempt.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from restic_monitor.automation import metrics
from restic_monitor.automation.delivery import SaidOnce, deliver
from restic_monitor.restic.masking import mask_credentials

if TYPE_CHECKING:
    from restic_monitor.engine.host import Engine

log = logging.getLogger(__name__)

#: The events after which the metrics change.
EVENTS = frozenset({"finished", "cancelled", "paused", "resumed", "config"})
JOB = "restic_monitor"


def push_url(base: str, host: str, profile: str) -> str:
    """The Pushgateway's address for one profile's group (job, host, profile)."""
    quote = urllib.parse.quote
    return (
        f"{base.rstrip('/')}/metrics/job/{JOB}/host/{quote(host, safe='')}"
        f"/profile/{quote(profile, safe='')}"
    )


def write_textfile(path: Path, text: str) -> None:
    """Replace the file at once: the collector reads the old metrics or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # a collector running as another user reads it
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def push(url: str, text: str) -> str | None:
    """PUT the metrics (replacing the group's); what went wrong, or None."""
    return deliver("PUT", url, text.encode(), {"Content-Type": "text/plain; version=0.0.4"})


class MetricsPublisher:
    """Wakes on the engine's events; writes and pushes in a thread of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._wanted = threading.Event()
        self._closed = False
        self._once = SaidOnce(log)
        self._thread = threading.Thread(target=self._main, name="metrics", daemon=True)

    def start(self) -> None:
        self.engine.subscribe(self._on_event)
        self._thread.start()
        self._wanted.set()  # the state the monitor starts with

    def _on_event(self, event: str, _data: dict[str, Any]) -> None:
        if event in EVENTS:
            self._wanted.set()

    def close(self, timeout: float = 2.0) -> None:
        self._closed = True
        self._wanted.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _main(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            try:
                self.publish()
            except Exception:
                log.exception("writing the metrics failed")
            if self._closed:
                return

    def targets(self) -> tuple[dict[Path, list[str]], dict[str, str]]:
        """Which profiles go into which textfile, and each profile's Pushgateway."""
        files: dict[Path, list[str]] = {}
        gateways: dict[str, str] = {}
        for name in self.engine.profiles():
            config = self.engine.config(name)
            if config is None:
                continue
            settings = config.settings
            if settings.metrics_textfile:
                path = Path(os.path.expanduser(settings.metrics_textfile))
                files.setdefault(path, []).append(name)
            if settings.pushgateway_url:
                gateways[name] = settings.pushgateway_url
        return files, gateways

    def publish(self) -> None:
        files, gateways = self.targets()
        if not files and not gateways:
            return
        facts = metrics.gather(self.engine.status(), self.engine.history)
        host = metrics.host_name()
        for path, names in files.items():
            try:
                write_textfile(path, metrics.render(metrics.for_profiles(facts, names), host))
            except OSError as exc:
                log.warning("cannot write the metrics to %s (metrics_textfile): %s", path,
                            exc.strerror or exc)  # fmt: skip
        for name, base in gateways.items():
            url = push_url(base, host, name)
            problem = push(url, metrics.render(metrics.for_profiles(facts, [name]), host))
            self._said(url, problem)

    def _said(self, url: str, problem: str | None) -> None:
        shown = mask_credentials(url)
        self._once.report(
            url,
            problem,
            f"cannot push the metrics to {shown} (pushgateway_url): "
            f"{mask_credentials(problem or '')}; trying again after the next job",
            f"metrics pushed to {shown} again",
        )
