"""The command line's parser: one command's parser built alone parses as the whole one does."""

from __future__ import annotations

import argparse

import pytest

from restic_monitor.cli.main import COMMANDS, build_parser


def _choices(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_the_command_list_is_the_parsers() -> None:
    assert _choices(build_parser()) == list(COMMANDS)


@pytest.mark.parametrize(
    "argv",
    [
        ["status", "--json", "--profile", "cloud"],
        ["--home", "/h", "backup", "--no-wait"],
        ["--profile", "p", "history", "--limit", "5", "--kind", "prune", "--json"],
        ["pause", "--for", "2h"],
        ["install", "--headless", "--dry-run", "--use-this-environment"],
        ["run", "--headless", "--idle-source", "fixed:0"],
    ],
)
def test_one_commands_parser_parses_as_the_whole_one(argv: list[str]) -> None:
    command = next(a for a in argv if a in COMMANDS)
    alone = build_parser(only=command).parse_args(argv)
    whole = build_parser().parse_args(argv)
    assert vars(alone) == vars(whole)
    assert _choices(build_parser(only=command)) == [command]


def test_the_restore_commands_are_known_to_the_parser_without_importing_them() -> None:
    from restic_monitor.cli.main import _RESTORE_COMMANDS
    from restic_monitor.cli.restore_parser import RESTORE_COMMANDS

    assert _RESTORE_COMMANDS == RESTORE_COMMANDS
