"""One HTTP request to a monitoring server, with a timeout and a few retries.

Shared by the metrics' push and the pings: 10 s per attempt, two retries
after 1 and 3 s, none after a client error (other than 429) that would only
repeat itself. :func:`deliver` returns a failure in words; :class:`SaidOnce`
logs it once per address until the address works again, so that a dead
server costs one log line, not one per job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

TIMEOUT = 10.0
RETRIES = (1.0, 3.0)  # the pauses before the second and third attempts


def deliver(
    method: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Send the request; what went wrong at the last attempt, or None.

    urllib.request is imported here, when there is something to send: with
    http.client, email and ssl it is about 7 MB that a monitor with no ping
    or push configured would otherwise keep for nothing.
    """
    import urllib.error
    import urllib.request

    problem = None
    for attempt in range(len(RETRIES) + 1):
        if attempt:
            sleep(RETRIES[attempt - 1])
        # Only http(s) gets here: the settings' validation refuses any other scheme.
        request = urllib.request.Request(url, body, dict(headers), method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                if 200 <= answer.status < 300:
                    return None
                problem = f"HTTP {answer.status}"
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code} {exc.reason}"
            if 400 <= exc.code < 500 and exc.code != 429:
                break  # it will not work better next time
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problem = str(getattr(exc, "reason", exc))
    return problem


class SaidOnce:
    """Which addresses are failing, so that each failure is logged once and the recovery too."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._failing: set[str] = set()

    def report(self, key: str, problem: str | None, failing: str, recovered: str) -> None:
        """``failing`` is logged (a warning) when ``key`` starts failing, ``recovered`` (info)
        when it works again; both are already masked by the caller."""
        if problem is None:
            if key in self._failing:
                self._failing.discard(key)
                self._log.info("%s", recovered)
        elif key not in self._failing:
            self._failing.add(key)
            self._log.warning("%s", failing)

    def failing(self, key: str) -> bool:
        return key in self._failing
