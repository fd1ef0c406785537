"""``restore``, ``mount`` and ``unmount``: getting files back.

``restore`` checks everything it can before anything is written: the
snapshot (``latest`` is pinned to its id, so a backup finishing meanwhile
changes nothing), that each item is in it, and (without ``--overwrite``)
that no file in the target would be replaced. The restore itself is a job:
through the running instance when there is one (queued with backups, one
restic at a time, ``restic-monitor stop`` stops it), in this process
otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from restic_monitor.cli.browse import local_time
from restic_monitor.cli.common import CliError, instance, profile_restic
from restic_monitor.exitcodes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from restic_monitor.paths import Home
from restic_monitor.restic.browse import BrowseError, Browser
from restic_monitor.restore import place
from restic_monitor.restore.check import NotInSnapshot, locate, planned_conflicts


def cmd_restore(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.cli.jobs import _in_process, _through
    from restic_monitor.jobs.restore import RestoreRequest

    restic, paths = profile_restic(args, home, "restore", EXIT_USAGE)
    browser = Browser(restic)
    target = Path(os.path.abspath(os.path.expanduser(args.target)))
    try:
        try:
            chosen = locate(browser, args.snapshot, list(args.paths))
        except NotInSnapshot as exc:
            snap = exc.snapshot
            raise CliError(
                f"not in snapshot {snap.short_id} ({local_time(snap.time)}): {exc} "
                f"(see `restic-monitor ls {snap.short_id} FOLDER`)",
                EXIT_USAGE,
            ) from None
        snap, items = chosen.snapshot, chosen.roots()
        try:
            place.check_names(e.path for e in items)
        except ValueError as exc:
            raise CliError(f"{exc}; restore them one at a time", EXIT_USAGE) from None
        if not args.overwrite:
            clashes = planned_conflicts(browser, snap, items, target)
            if clashes:
                print(f"restic-monitor: {place.conflicts_message(clashes)}", file=sys.stderr)
                for path in clashes[place.NAMED_CONFLICTS :][:200]:
                    print(f"  {path}", file=sys.stderr)
                return EXIT_FAILED
    except BrowseError as exc:
        raise CliError(str(exc), EXIT_FAILED) from None
    request = RestoreRequest(
        snap.id,
        tuple(e.path for e in chosen.items),
        str(target),
        args.overwrite,
        roots=tuple(e.path for e in items),
    )
    names = ", ".join(place.item_name(e.path) for e in items[:5])
    more = f" and {len(items) - 5} more" if len(items) > 5 else ""
    print(
        f"Restoring {names}{more} from snapshot {snap.short_id} ({local_time(snap.time)}) "
        f"into {target}",
        file=sys.stderr,
    )
    client = instance(home)
    if client is not None:
        return _through(client, "restore", paths.name, not args.no_wait, request.to_json())
    if args.no_wait:
        print("restic-monitor: no instance runs, so the restore runs here", file=sys.stderr)
    return _in_process(args, home, "restore", paths.name, request.to_json())


def cmd_mount(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.restore.mount import Mount, MountError, Registry, fuse_problem

    problem = fuse_problem()
    if problem is not None:
        raise CliError(problem, EXIT_USAGE)
    restic, paths = profile_restic(args, home, "mount", EXIT_USAGE)
    folder = Path(os.path.abspath(os.path.expanduser(args.folder)))
    registry = Registry(home.root / "mounts.json")
    mount = Mount(restic, folder, paths.logs / "restic-mount.log", registry)
    try:
        mount.start()
        print(f"Mounting the repository of profile {paths.name} at {folder}…", file=sys.stderr)
        mount.wait_ready()
    except MountError as exc:
        raise CliError(f"cannot mount at {folder}: {exc}", EXIT_FAILED) from None
    print(
        f"The snapshots are folders in {folder}/snapshots (by time), /hosts, /tags.\n"
        f"Press Ctrl-C here, or run `{home.command('unmount')}`, to end.",
        file=sys.stderr,
    )
    assert mount.proc is not None
    try:
        mount.proc.wait()
    except KeyboardInterrupt:
        print("\nUnmounting…", file=sys.stderr)
        mount.stop()
        return EXIT_INTERRUPTED
    mount.stop()
    return EXIT_OK


def cmd_unmount(args: argparse.Namespace, home: Home) -> int:
    from restic_monitor.restore.mount import Registry, unmount

    registry = Registry(home.root / "mounts.json")
    if args.folder:
        folders = [Path(os.path.abspath(os.path.expanduser(args.folder)))]
    else:
        folders = [Path(f) for f in registry.read()]
        if not folders:
            print("Nothing is mounted by restic-monitor.", file=sys.stderr)
            return EXIT_OK
    code = EXIT_OK
    for folder in folders:
        if not os.path.ismount(folder):
            print(f"{folder} is not mounted.", file=sys.stderr)
            registry.remove(folder)
            continue
        problem = unmount(folder)
        if problem is None:
            print(f"Unmounted {folder}.", file=sys.stderr)
            registry.remove(folder)
        else:
            print(f"restic-monitor: cannot unmount {folder}: {problem}", file=sys.stderr)
            code = EXIT_FAILED
    return code
