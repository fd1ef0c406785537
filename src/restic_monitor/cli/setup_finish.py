"""What every face of ``setup`` ends with: test the connection, create, write, say what next.

The options (:mod:`.setup_command`) and the terminal's questions
(:mod:`.setup_prompts`) both end here, so that they refuse, test and write
alike.
"""

from __future__ import annotations

import sys
from typing import Any

from restic_monitor.cli.common import CliError
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from restic_monitor.paths import DEFAULT_PROFILE, Home


def refuse_existing(home: Home, name: str, force: bool) -> None:
    from restic_monitor.setup.write import existing_files

    existing = existing_files(home.profile(name))
    if existing and not force:
        raise CliError(
            f"{', '.join(map(str, existing))} exist already: nothing written (--force replaces)",
            EXIT_USAGE,
        )


def finish_setup(
    home: Home,
    name: str,
    env: dict[str, str],
    backup_args: list[str],
    restic_exe: str,
    *,
    init: bool,
    keyring: bool,
    force: bool,
    ask_init: Any = None,
) -> int:
    """Test the connection (create the repository when allowed), then write both files.

    ``ask_init``: asked (the prompts' face) when no repository is there yet
    and ``init`` was not given.
    """
    from restic_monitor.restic.command import ResticUnavailable, find_restic
    from restic_monitor.restic.masking import Redactor, secrets_of
    from restic_monitor.setup.connection import init_repository, test_connection
    from restic_monitor.setup.write import ProfileExists, settings_for, write_profile

    try:
        restic = find_restic(restic_exe)
    except ResticUnavailable as exc:
        raise CliError(exc.message, EXIT_USAGE) from None
    where = Redactor(secrets_of(env)).text(env["RESTIC_REPOSITORY"])
    print(f"Testing the connection to {where}…", file=sys.stderr)
    verdict = test_connection(restic, env)
    if verdict.reason == "repository_missing" and (init or (ask_init and ask_init(where))):
        failed = init_repository(restic, env)
        if failed is not None:
            raise CliError(f"restic init at {where} failed: {failed}. Nothing was written.",
                           EXIT_FAILED)  # fmt: skip
        print(f"Created a new repository at {where}.", file=sys.stderr)
    elif not verdict.ok:
        words = verdict.words(where)
        if verdict.reason == "repository_missing":
            words += " Add --init to create one there."
        elif verdict.said:
            words += f" (restic: {verdict.said})"
        raise CliError(f"{words} Nothing was written.", EXIT_FAILED)
    try:
        paths = write_profile(home, name, env, settings_for(backup_args, restic_exe),
                              keyring=keyring, force=force)  # fmt: skip
    except ProfileExists as exc:
        raise CliError(f"{exc}: nothing written (--force replaces)", EXIT_USAGE) from None
    print(f"Wrote {paths.env_json} and {paths.settings_json}.")
    which = "" if name == DEFAULT_PROFILE else f" --profile {name}"
    backup, run, install = (home.command(c) for c in ("backup" + which, "run", "install"))
    print(f"Back up now with `{backup}`, or start the monitor (`{run}`; `{install}` starts it "
          "at login).")  # fmt: skip
    return EXIT_OK
