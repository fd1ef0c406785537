"""The tray view's entries as a Qt menu: mnemonics, elided information lines, tooltips.

Kept apart from the app so that the rules for drawing a line (information
enabled for full contrast, no wider than the menu may grow) sit in one place.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from restic_monitor.tray.view import Action, Entry

#: The widest information line in the menu, in device-independent pixels: the
#: menu stays under ~480 px at 100 % scale; the problems window has the rest.
MENU_LINE_PX = 420
#: Lines this short fit in MENU_LINE_PX in any menu font, so are not measured.
SHORT_LINE_CHARS = 36


def fill_menu(
    menu: QMenu,
    entries: tuple[Entry, ...],
    perform: Callable[[Action, str | None], None],
    submenus: list[QMenu],
) -> None:
    """Add the view's entries to ``menu``; its submenus are appended to ``submenus``."""
    for entry in entries:
        if entry.separator:
            menu.addSeparator()
        elif entry.children:
            sub = menu.addMenu(entry.text)
            sub.setToolTipsVisible(True)
            submenus.append(sub)
            fill_menu(sub, entry.children, perform, submenus)
        else:
            text, full = entry.text, entry.full
            if not entry.action:  # information: no mnemonic, at most MENU_LINE_PX wide
                shown = text
                if len(text) > SHORT_LINE_CHARS:  # (measuring loads the fonts: not idly)
                    shown = elided(menu, text, MENU_LINE_PX)
                full = full or (text if shown != text else None)
                text = shown.replace("&", "&&")
            action = QAction(text, menu)
            # Information is drawn enabled (full contrast) and opens the whole text.
            action.setEnabled(entry.enabled)
            if full:
                action.setToolTip(full)
            chosen, profile = entry.action or Action.PROBLEMS, entry.profile
            action.triggered.connect(lambda _=False, a=chosen, p=profile: perform(a, p))
            menu.addAction(action)


def elided(menu: QMenu, text: str, width: int) -> str:
    """``text`` cut at its end with "…" to fit ``width`` pixels in the menu's font.

    Qt's own elidedText takes an enum of the Qt namespace, and the first use of
    that namespace builds all its ninety enums: 2 MB held by the idle tray.
    """
    metrics = menu.fontMetrics()
    if metrics.horizontalAdvance(text) <= width:
        return text
    low, high = 0, len(text)  # the longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if metrics.horizontalAdvance(text[:middle].rstrip() + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"
