"""The setup wizard on a real display, driven page by page for tests/test_setup_wizard.py.

Run as ``python tests/wizard_driver.py HOME REPOSITORY FOLDER RESTIC`` with
DISPLAY set. It fills the pages in, and at each page worth a screenshot
prints ``shot NAME X Y W H`` (the window's place on the screen) and waits
for a line on standard input, so that the test takes the picture from the X
server while the page is shown. At the end it prints ``finish X Y`` (the
Finish button's centre) and waits for that button to be clicked for real;
``on_done PROFILE BACK_UP_NOW`` follows, then it exits.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication, QWizard

from restic_monitor.paths import Home
from restic_monitor.tray.setup_wizard import SetupWizard

PASSWORD = "correct horse battery staple"
Step = Callable[[], bool]


def say(line: str) -> None:
    print(line, flush=True)


def shot(wizard: SetupWizard, name: str) -> None:
    g = wizard.frameGeometry()
    say(f"shot {name} {g.x()} {g.y()} {g.width()} {g.height()}")
    sys.stdin.readline()


def script(wizard: SetupWizard, repository: str, folder: str) -> Iterator[Step]:
    pause = _pause()
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    yield pause(600)
    wizard.kind_page.choose("local")
    shot(wizard, "repository")
    next_button.click()
    wizard.fields_page.set_values(path=repository)
    next_button.click()
    wizard.password_page.password.setText(PASSWORD)
    next_button.click()
    page = wizard.folders_page
    page.set_folders([folder])
    page.patterns.setText("*.iso")
    yield lambda: page.estimate is not None
    yield pause(300)
    shot(wizard, "folders")
    next_button.click()
    test = wizard.test_page
    yield test.create_row.isVisible
    test.confirm.setText(PASSWORD)
    test.create_button.click()
    yield lambda: test.verdict is not None and test.verdict.ok
    next_button.click()
    yield lambda: wizard.answers.written is not None
    yield pause(300)
    shot(wizard, "done")
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    centre = finish.mapToGlobal(QPoint(finish.width() // 2, finish.height() // 2))
    say(f"finish {centre.x()} {centre.y()}")


def _pause() -> Callable[[int], Step]:
    from time import monotonic

    def pause(ms: int) -> Step:
        until: list[float] = []

        def done() -> bool:
            if not until:
                until.append(monotonic() + ms / 1000)
            return monotonic() >= until[0]

        return done

    return pause


def main() -> int:
    home, repository, folder, restic = sys.argv[1:5]
    app = QApplication(sys.argv[:1])
    ended: list[bool] = []

    def on_done(profile: str, now: bool) -> None:
        say(f"on_done {profile} {now}")
        ended.append(now)
        app.quit()

    wizard = SetupWizard(Home(Path(home)), "default", restic, on_done=on_done)
    wizard.move(40, 20)
    wizard.show()
    steps = script(wizard, repository, folder)
    waiting: list[Step] = []

    def tick() -> None:
        while not waiting or waiting[0]():
            waiting.clear()
            try:
                waiting.append(next(steps))
            except StopIteration:
                timer.stop()
                return

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(tick)
    timer.start()
    QTimer.singleShot(90_000, app.quit)
    app.exec()
    return 0 if ended else 1


if __name__ == "__main__":
    sys.exit(main())
