"""First-run setup in a window: from "installed" to "first backup done" without editing JSON.

The same questions as ``restic-monitor setup`` asks in a terminal, through
the same functions (:mod:`restic_monitor.setup`), so a profile set up here is
the one the command line would have written. The tray opens it (offered
on a first start, and from its menu); ``setup`` opens it standalone when a
display is there (:func:`run_wizard`). Its pages live in ``setup_pages``,
``setup_folders`` and ``setup_finish``; whatever waits (restic, the disk,
the keyring) runs in their threads.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QWizard, QWizardPage

from restic_monitor.paths import DEFAULT_PROFILE, Home
from restic_monitor.tray.setup_finish import ConnectionPage, DonePage
from restic_monitor.tray.setup_folders import FoldersPage
from restic_monitor.tray.setup_pages import FieldsPage, KindPage, PasswordPage
from restic_monitor.tray.setup_work import Answers

OnDone = Callable[[str, bool], None]


def wizard_title(profile: str) -> str:
    return "Set up backups" + ("" if profile == DEFAULT_PROFILE else f" ({profile})")


class SetupWizard(QWizard):
    def __init__(
        self,
        home: Home,
        profile: str = DEFAULT_PROFILE,
        restic_exe: str = "restic",
        on_done: OnDone | None = None,
    ) -> None:
        super().__init__()
        self.on_done = on_done
        self.answers = Answers(home, profile or DEFAULT_PROFILE, restic_exe)
        self.setWindowTitle(wizard_title(self.answers.profile))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.resize(920, 600)
        self.kind_page = KindPage(self.answers)
        self.fields_page = FieldsPage(self.answers)
        self.password_page = PasswordPage(self.answers)
        self.folders_page = FoldersPage(self.answers)
        self.test_page = ConnectionPage(self.answers)
        self.done_page = DonePage(self.answers)
        pages: list[QWizardPage] = [self.kind_page, self.fields_page, self.password_page,
                                    self.folders_page, self.test_page, self.done_page]  # fmt: skip
        for page in pages:
            self.addPage(page)
        self._reported = False

    @property
    def back_up_now(self) -> bool:
        return self.done_page.back_up_now.isChecked()

    def done(self, result: int) -> None:
        """Finish or Cancel. Files already written are the tray's to load either way;
        a backup starts only when Finish was pressed with "Back up now" ticked."""
        self.folders_page.cleanupPage()
        self.test_page.task.forget()
        now = result == int(QWizard.DialogCode.Accepted) and self.back_up_now
        written = self.answers.written is not None
        super().done(result)
        if written and not self._reported and self.on_done is not None:
            self._reported = True
            self.on_done(self.answers.profile, now)


def start_backup(home: Home, profile: str) -> subprocess.Popen[bytes]:
    """The first backup, through the project's own command line, outliving this process:
    a running instance queues it, otherwise the command runs it itself."""
    from restic_monitor.platform.process import popen_options

    argv = [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "backup"]
    if profile != DEFAULT_PROFILE:
        argv += ["--profile", profile]
    return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, close_fds=True,
                            **popen_options(False))  # fmt: skip


def run_wizard(home: Home, profile: str, restic_exe: str = "restic") -> int:
    """``restic-monitor setup`` with a display: 0 when the files were written, 1 if not."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert app is not None
    chosen: list[bool] = []
    wizard = SetupWizard(home, profile, restic_exe, on_done=lambda _p, now: chosen.append(now))
    wizard.show()
    wizard.exec()
    paths = wizard.answers.written
    if paths is None:
        print("Setup cancelled: nothing was written.", file=sys.stderr)
        return 1
    print(f"Wrote {paths.env_json} and {paths.settings_json}.")
    if chosen and chosen[0]:
        start_backup(home, profile)
        print(f"The first backup runs in the background; `{home.command('status')}` follows it.")
    run, install = home.command("run"), home.command("install")
    print(f"Start the monitor with `{run}`; `{install}` starts it at every login.")
    return 0
