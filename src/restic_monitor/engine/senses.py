"""What the engine reads of the world at each look: the idle time, the power, the clock.

Each reading may fail (a D-Bus service gone, a battery driver that errs): a
failure is logged and read as "unknown" (idle), "not on battery" or "not
metered", never the
end of backups. A wall-clock step much larger than the time that passed is a
jump (a resume, a clock change), logged so that the re-planning is explained.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from restic_monitor.platform.idle import IdleSource

log = logging.getLogger(__name__)

#: How long a reading of the network's cost is used before asking again.
METERED_TTL = 15.0
#: A wall-clock step bigger than this between two looks is a jump or a resume.
CLOCK_JUMP_TOLERANCE = 30.0


class Senses:
    def __init__(
        self,
        idle_source: IdleSource,
        power: Callable[[], bool | None],
        network: Callable[[], bool | None] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_source = idle_source
        self._power = power
        self._network = network
        self._metered: tuple[float, bool] | None = None
        self._mono = monotonic
        #: The idle time read last (None: unknown).
        self.last_idle: float | None = None
        self._last_look: tuple[float, float] | None = None

    def read_idle(self) -> float | None:
        try:
            value = self.idle_source.seconds()
        except Exception as exc:
            log.warning("idle source %s failed: %s", self.idle_source.name, exc)
            value = None
        self.last_idle = value
        return value

    def on_battery(self) -> bool:
        try:
            return self._power() is True
        except Exception:
            log.exception("reading the power state failed")
            return False

    def metered(self) -> bool:
        """Whether the connection is metered; unknown (or a failure to ask) is not.

        Asked at most every ``METERED_TTL`` seconds: every decision reads it, and the
        answer comes from another process (NetworkManager, PowerShell).
        """
        now = self._mono()
        if self._metered is not None and now - self._metered[0] < METERED_TTL:
            return self._metered[1]
        try:
            value = self._network() is True
        except Exception:
            log.exception("reading whether the network is metered failed")
            value = False
        if self._metered is None or self._metered[1] != value:
            log.info("the network connection is %s", "metered" if value else "not metered")
        self._metered = (now, value)
        return value

    def note_clock(self, now: float, mono: float) -> None:
        if self._last_look is not None:
            wall_step = now - self._last_look[0]
            mono_step = mono - self._last_look[1]
            if abs(wall_step - mono_step) > CLOCK_JUMP_TOLERANCE:
                log.info(
                    "the clock moved %+.0f s more than elapsed time (sleep, resume or clock "
                    "change); re-planning",
                    wall_step - mono_step,
                )
        self._last_look = (now, mono)
