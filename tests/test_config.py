"""Table-driven tests for loading and validating settings.json and env.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from restic_monitor.config.env import SecretEnv, parse_env
from restic_monitor.config.files import MAX_CONFIG_BYTES, ConfigError, Problem
from restic_monitor.config.profile import Config, example_env, example_settings, load_config
from restic_monitor.config.settings import SETTINGS, Settings, parse_settings
from restic_monitor.paths import Home

SECRET = "s3cr3t-planted-value"
MINIMAL: dict[str, Any] = {"args": ["backup", "/data"]}
TEN_YEARS = 10 * 365 * 86400


def put(path: Path, content: object) -> None:
    """Write bytes as they are, anything else as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(json.dumps(content), encoding="utf-8")


def make_home(
    tmp_path: Path,
    settings: object = MINIMAL,
    env: object = None,
    *,
    settings_missing: bool = False,
    env_missing: bool = False,
) -> Home:
    home = Home(tmp_path / "home")
    home.root.mkdir(parents=True, exist_ok=True)
    if not settings_missing:
        put(home.settings_json, settings)
    if not env_missing:
        put(home.env_json, {} if env is None else env)
    return home


def load_problems(home: Home) -> tuple[Problem, ...]:
    with pytest.raises(ConfigError) as info:
        load_config(home)
    assert info.value.problems, "a ConfigError must list at least one problem"
    return info.value.problems


def only_problem(home: Home) -> Problem:
    problems = load_problems(home)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def texts_of(exc: ConfigError) -> list[str]:
    out = [str(exc), repr(exc), *map(str, exc.args)]
    for p in exc.problems:
        out += [str(p), repr(p), p.message, str(p.key)]
    return out


# --- valid files -----------------------------------------------------------------------------


def test_load_config_minimal_file_gets_documented_defaults(tmp_path: Path) -> None:
    config = load_config(make_home(tmp_path))
    s = config.settings
    assert s.args == ("backup", "/data")
    assert s.restic_exe == "restic"
    assert s.min_idle_seconds == 300
    assert s.min_seconds_between_backups == 3600
    assert s.no_backup_warning_seconds == 86400
    assert s.ignore_exit_code_3 is False
    assert s.pause_seconds == 28800
    assert s.progress is True
    assert s.low_priority is True
    assert s.notify_success is False
    assert dict(config.env) == {}


def test_settings_spec_defaults_match_settings_dataclass() -> None:
    defaults = Settings(args=("backup",))
    for spec in SETTINGS:
        if spec.required:
            continue
        expected = tuple(spec.default) if isinstance(spec.default, list) else spec.default
        assert getattr(defaults, spec.name) == expected, spec.name


def test_load_config_every_setting_given_is_used(tmp_path: Path) -> None:
    data = {
        "restic_exe": "/opt/restic/restic",
        "args": ["backup", "--exclude-caches", "/home/me"],
        "min_idle_seconds": 0,
        "min_seconds_between_backups": 0,
        "no_backup_warning_seconds": 1.5,
        "ignore_exit_code_3": True,
        "pause_seconds": TEN_YEARS,
        "progress": False,
        "low_priority": False,
        "notify_success": True,
    }
    env = {"RESTIC_REPOSITORY": "/srv/repo", "RESTIC_PASSWORD": SECRET}
    config = load_config(make_home(tmp_path, data, env))
    assert config.settings == Settings(
        args=("backup", "--exclude-caches", "/home/me"),
        restic_exe="/opt/restic/restic",
        min_idle_seconds=0,
        min_seconds_between_backups=0,
        no_backup_warning_seconds=1.5,
        ignore_exit_code_3=True,
        pause_seconds=TEN_YEARS,
        progress=False,
        low_priority=False,
        notify_success=True,
    )
    assert isinstance(config.settings.min_idle_seconds, float)
    assert dict(config.env) == env


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"_comment": "hello"}, id="string-comment"),
        pytest.param({"_": [1, 2, 3]}, id="underscore-list"),
        pytest.param({"_min_idle_seconds": "disabled"}, id="commented-out-setting"),
        pytest.param({"_a": None, "_b": {"x": 1}}, id="several-comments"),
    ],
)
def test_parse_settings_underscore_keys_are_comments(tmp_path: Path, extra: dict[str, Any]) -> None:
    config = load_config(make_home(tmp_path, {**MINIMAL, **extra}))
    assert config.settings == Settings(args=("backup", "/data"))


def test_load_config_utf8_bom_accepted(tmp_path: Path) -> None:
    body = b"\xef\xbb\xbf" + json.dumps({**MINIMAL, "pause_seconds": 60}).encode()
    env = b"\xef\xbb\xbf" + json.dumps({"RESTIC_PASSWORD": SECRET}).encode()
    config = load_config(make_home(tmp_path, body, env))
    assert config.settings.pause_seconds == 60
    assert config.env["RESTIC_PASSWORD"] == SECRET


def test_load_config_non_ascii_utf8_accepted(tmp_path: Path) -> None:
    config = load_config(make_home(tmp_path, {"args": ["backup", "/home/zoë/Dokumente"]}))
    assert config.settings.args == ("backup", "/home/zoë/Dokumente")


def test_load_config_file_of_exactly_max_size_accepted(tmp_path: Path) -> None:
    head = json.dumps(MINIMAL)[:-1] + ', "_pad": "'
    body = head + "x" * (MAX_CONFIG_BYTES - len(head) - 2) + '"}'
    assert len(body.encode()) == MAX_CONFIG_BYTES
    assert load_config(make_home(tmp_path, body.encode())).settings.args == ("backup", "/data")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("min_idle_seconds", 0, id="min-idle-zero"),
        pytest.param("min_seconds_between_backups", 0, id="spacing-zero"),
        pytest.param("min_idle_seconds", 0.25, id="fractional"),
        pytest.param("pause_seconds", 0.001, id="tiny-positive-pause"),
        pytest.param("no_backup_warning_seconds", TEN_YEARS, id="ten-years"),
        pytest.param("restic_exe", "C:\\Program Files\\restic\\restic.exe", id="windows-exe"),
        pytest.param("args", ["backup"], id="single-arg"),
        pytest.param("args", ["backup", ""], id="empty-string-arg"),
    ],
)
def test_parse_settings_boundary_values_accepted(tmp_path: Path, key: str, value: Any) -> None:
    problems: list[Problem] = []
    settings = parse_settings({**MINIMAL, key: value}, tmp_path / "settings.json", problems)
    assert problems == []
    assert settings is not None
    got = getattr(settings, key)
    assert got == (tuple(value) if isinstance(value, list) else value)


# --- wrong values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param(
            "restic_exe", 5, "expected a non-empty string, got the number 5", id="exe-num"
        ),
        pytest.param("restic_exe", "", "expected a non-empty string", id="exe-empty"),
        pytest.param("restic_exe", "   ", "expected a non-empty string", id="exe-blank"),
        pytest.param("restic_exe", None, "got null", id="exe-null"),
        pytest.param("restic_exe", ["restic"], "got a list", id="exe-list"),
        pytest.param("restic_exe", True, "got a boolean", id="exe-bool"),
        pytest.param(
            "args",
            "backup /data",
            'expected a list of strings, got the string "backup /data"',
            id="args-string",
        ),
        pytest.param("args", [], "expected at least one argument", id="args-empty"),
        pytest.param("args", ["backup", 5], "item 1 is the number 5", id="args-number-item"),
        pytest.param("args", ["backup", None], "item 1 is null", id="args-null-item"),
        pytest.param("args", [["backup"]], "item 0 is a list", id="args-nested"),
        pytest.param("args", {"cmd": "backup"}, "got an object", id="args-object"),
        pytest.param("args", None, "got null", id="args-null"),
        pytest.param(
            "min_idle_seconds",
            "300",
            'expected a number of seconds, got the string "300" (write the number without quotes)',
            id="min-idle-quoted-number",
        ),
        pytest.param(
            "min_idle_seconds",
            True,
            "expected a number of seconds, got a boolean",
            id="min-idle-bool",
        ),
        pytest.param(
            "min_idle_seconds",
            False,
            "expected a number of seconds, got a boolean",
            id="min-idle-false",
        ),
        pytest.param("min_idle_seconds", -1, "expected 0 or more seconds, got -1", id="neg"),
        pytest.param("min_idle_seconds", [300], "got a list", id="min-idle-list"),
        pytest.param("min_idle_seconds", None, "got null", id="min-idle-null"),
        pytest.param("min_idle_seconds", {"s": 1}, "got an object", id="min-idle-object"),
        pytest.param("min_idle_seconds", float("nan"), "finite", id="min-idle-nan"),
        pytest.param("min_idle_seconds", float("inf"), "finite", id="min-idle-inf"),
        pytest.param("min_idle_seconds", TEN_YEARS + 1, "at most ten years", id="too-long"),
        pytest.param(
            "min_seconds_between_backups",
            "1h",
            "(write the number without quotes)",
            id="spacing-string",
        ),
        pytest.param(
            "min_seconds_between_backups",
            -0.5,
            "expected 0 or more seconds, got -0.5",
            id="spacing-negative",
        ),
        pytest.param(
            "no_backup_warning_seconds", 0, "expected more than 0 seconds", id="warning-zero"
        ),
        pytest.param(
            "no_backup_warning_seconds", -86400, "expected 0 or more seconds", id="warning-neg"
        ),
        pytest.param("pause_seconds", 0, "expected more than 0 seconds", id="pause-zero"),
        pytest.param("pause_seconds", 0.0, "expected more than 0 seconds", id="pause-zero-float"),
        pytest.param("pause_seconds", -5, "expected 0 or more seconds, got -5", id="pause-neg"),
        pytest.param("pause_seconds", float("-inf"), "finite", id="pause-minus-inf"),
        pytest.param(
            "ignore_exit_code_3",
            "false",
            'expected true or false, got the string "false" (write false without quotes)',
            id="bool-quoted-false",
        ),
        pytest.param(
            "ignore_exit_code_3", " TRUE ", "(write true without quotes)", id="bool-quoted-true"
        ),
        pytest.param(
            "ignore_exit_code_3", 0, "expected true or false, got the number 0", id="bool-zero"
        ),
        pytest.param("progress", 1, "expected true or false, got the number 1", id="progress-1"),
        pytest.param("low_priority", None, "expected true or false, got null", id="low-null"),
        pytest.param("notify_success", "yes", 'got the string "yes"', id="notify-yes"),
        pytest.param("notify_success", [True], "got a list", id="notify-list"),
    ],
)
def test_load_config_wrong_value_names_file_key_and_expectation(
    tmp_path: Path, key: str, value: Any, expected: str
) -> None:
    home = make_home(tmp_path, {**MINIMAL, key: value})
    problem = only_problem(home)
    assert problem.file == home.settings_json
    assert problem.key == key
    text = str(problem)
    assert text.startswith(f"{home.settings_json}: {key}: ")
    assert expected in text


@pytest.mark.parametrize("value", ["no", "0", "off", ""])
def test_parse_settings_bool_string_without_true_false_gets_no_quote_hint(
    tmp_path: Path, value: str
) -> None:
    problems: list[Problem] = []
    parse_settings({**MINIMAL, "progress": value}, tmp_path / "s.json", problems)
    assert len(problems) == 1
    assert "expected true or false" in problems[0].message
    assert "without quotes" not in problems[0].message


def test_parse_settings_long_string_value_is_shortened_in_message(tmp_path: Path) -> None:
    problems: list[Problem] = []
    parse_settings({**MINIMAL, "progress": "y" * 500}, tmp_path / "s.json", problems)
    assert len(problems) == 1
    assert "y" * 100 not in problems[0].message


def test_parse_settings_missing_args_is_reported(tmp_path: Path) -> None:
    problem = only_problem(make_home(tmp_path, {"min_idle_seconds": 10}))
    assert problem.key == "args"
    assert "missing; expected a list of strings" in problem.message


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        pytest.param("min_idle_second", "min_idle_seconds", id="missing-s"),
        pytest.param("pause_second", "pause_seconds", id="pause-missing-s"),
        pytest.param("ignore_exit_code3", "ignore_exit_code_3", id="missing-underscore"),
        pytest.param("min_seconds_between_backup", "min_seconds_between_backups", id="spacing"),
        pytest.param("restic_executable", "restic_exe", id="longer"),
        pytest.param("notify_sucess", "notify_success", id="typo"),
    ],
)
def test_parse_settings_unknown_key_suggests_closest(
    tmp_path: Path, key: str, suggestion: str
) -> None:
    home = make_home(tmp_path, {**MINIMAL, key: 1})
    problem = only_problem(home)
    assert problem.key == key
    assert f"did you mean {suggestion}?" in str(problem)
    assert str(home.settings_json) in str(problem)


def test_parse_settings_unknown_key_without_match_mentions_comments(tmp_path: Path) -> None:
    problem = only_problem(make_home(tmp_path, {**MINIMAL, "zzzz": 1}))
    assert problem.key == "zzzz"
    assert "unknown setting" in problem.message
    assert "did you mean" not in problem.message
    assert "keys starting with _ are allowed as comments" in problem.message


def test_parse_settings_keeps_earlier_problems_and_only_fails_on_new_ones(tmp_path: Path) -> None:
    earlier = Problem(tmp_path / "other.json", None, "unrelated")
    problems = [earlier]
    settings = parse_settings(MINIMAL, tmp_path / "settings.json", problems)
    assert settings == Settings(args=("backup", "/data"))
    assert problems == [earlier]
    assert parse_settings({"args": 1}, tmp_path / "settings.json", problems) is None
    assert problems[0] is earlier
    assert len(problems) == 2


def test_parse_settings_reports_every_problem_in_one_pass(tmp_path: Path) -> None:
    data = {
        "min_idle_second": 5,
        "min_idle_seconds": "5",
        "pause_seconds": 0,
        "progress": "true",
        "restic_exe": "",
    }
    problems: list[Problem] = []
    assert parse_settings(data, tmp_path / "s.json", problems) is None
    assert sorted(str(p.key) for p in problems) == sorted(
        ["min_idle_second", "min_idle_seconds", "pause_seconds", "progress", "restic_exe", "args"]
    )


# --- file-level problems -------------------------------------------------------------------------


BAD_FILES = [
    pytest.param(
        b'{\n  "args": ["backup"]\n  "pause_seconds": 5\n}\n',
        "invalid JSON at line 3, column 3: Expecting ',' delimiter.",
        id="missing-comma",
    ),
    pytest.param(
        b'{\n  "args": ["backup"],\n}\n',
        "invalid JSON at line 3, column 1",
        id="trailing-comma",
    ),
    pytest.param(b'{"args": ["backup"]} x', "invalid JSON at line 1, column 22", id="extra-data"),
    pytest.param(b"// comment\n{}", "invalid JSON at line 1, column 1", id="js-comment"),
    pytest.param(
        b'{"args": ["backup", "caf\xe9"]}',
        "is not valid UTF-8 (byte 0xe9 at offset 24); save it as UTF-8.",
        id="latin1",
    ),
    pytest.param(b"\xff\xfe{\x00}\x00", "is not valid UTF-8 (byte 0xff at offset 0)", id="utf16"),
    pytest.param(b"", "is empty; expected a JSON object such as {}.", id="empty"),
    pytest.param(b"  \n\t\n", "is empty", id="whitespace"),
    pytest.param(b"\xef\xbb\xbf", "is empty", id="bom-only"),
    pytest.param(
        b'["backup"]', "expected a JSON object {...} at the top level, found a list.", id="list"
    ),
    pytest.param(b"42", "found a single value", id="number"),
    pytest.param(b'"backup"', "found a single value", id="string"),
    pytest.param(b"null", "found a single value", id="null"),
    pytest.param(b"[" * 100_000, "is nested too deeply", id="deep-nesting"),
]


@pytest.mark.parametrize(("body", "expected"), BAD_FILES)
def test_load_config_bad_settings_file_reported(tmp_path: Path, body: bytes, expected: str) -> None:
    home = make_home(tmp_path, body)
    problem = only_problem(home)
    assert problem.file == home.settings_json
    assert problem.key is None
    assert str(problem).startswith(f"{home.settings_json}: ")
    assert expected in str(problem)


@pytest.mark.parametrize(("body", "expected"), BAD_FILES)
def test_load_config_bad_env_file_reported(tmp_path: Path, body: bytes, expected: str) -> None:
    home = make_home(tmp_path, MINIMAL, body)
    problem = only_problem(home)
    assert problem.file == home.env_json
    assert expected in str(problem)


def test_load_config_folder_instead_of_file(tmp_path: Path) -> None:
    home = make_home(tmp_path, settings_missing=True)
    home.settings_json.mkdir()
    problem = only_problem(home)
    assert problem.file == home.settings_json
    assert "is a folder, expected a JSON file." in str(problem)


def test_load_config_file_over_one_mib_refused(tmp_path: Path) -> None:
    head = json.dumps(MINIMAL)[:-1] + ', "_pad": "'
    body = head + "x" * (MAX_CONFIG_BYTES - len(head) - 1) + '"}'
    assert len(body) == MAX_CONFIG_BYTES + 1
    home = make_home(tmp_path, body.encode())
    problem = only_problem(home)
    assert f"is {MAX_CONFIG_BYTES + 1} bytes" in problem.message
    assert "under 1 MiB" in problem.message


def test_load_config_duplicate_keys_reported(tmp_path: Path) -> None:
    body = b'{"args": ["backup"], "pause_seconds": 5, "args": ["backup", "/x"], "pause_seconds": 6}'
    home = make_home(tmp_path, body)
    problems = load_problems(home)
    assert [(p.key, p.message) for p in problems] == [
        ("args", "appears more than once; keep only one."),
        ("pause_seconds", "appears more than once; keep only one."),
    ]
    assert all(p.file == home.settings_json for p in problems)


@pytest.mark.parametrize("which", ["settings", "env"])
def test_load_config_missing_file_mentions_init_and_folder(tmp_path: Path, which: str) -> None:
    home = make_home(tmp_path, settings_missing=which == "settings", env_missing=which == "env")
    problem = only_problem(home)
    expected_path = home.settings_json if which == "settings" else home.env_json
    assert problem.file == expected_path
    assert "file not found" in problem.message
    assert f"`restic-monitor --home {home.root} init`" in problem.message


def test_load_config_missing_home_reports_both_files(tmp_path: Path) -> None:
    home = Home(tmp_path / "nowhere")
    problems = load_problems(home)
    assert [p.file for p in problems] == [home.settings_json, home.env_json]
    assert not home.root.exists(), "loading must not create the home"


def test_load_config_reports_all_problems_of_both_files_at_once(tmp_path: Path) -> None:
    settings = {"min_idle_second": 5, "pause_seconds": "60", "progress": "false"}
    env = {"RESTIC_PASSWORD": 1234, "BAD=NAME": "x", "RESTIC_REPOSITORY": None}
    home = make_home(tmp_path, settings, env)
    with pytest.raises(ConfigError) as info:
        load_config(home)
    problems = info.value.problems
    found = {(p.file.name, p.key) for p in problems}
    assert found == {
        ("settings.json", "min_idle_second"),
        ("settings.json", "pause_seconds"),
        ("settings.json", "progress"),
        ("settings.json", "args"),
        ("env.json", "RESTIC_PASSWORD"),
        ("env.json", "BAD=…"),
        ("env.json", "RESTIC_REPOSITORY"),
    }
    assert str(info.value).splitlines() == [str(p) for p in problems]


def test_load_config_unreadable_settings_and_bad_env_both_reported(tmp_path: Path) -> None:
    home = make_home(tmp_path, b"{", {"A": 1})
    problems = load_problems(home)
    assert [p.file for p in problems] == [home.settings_json, home.env_json]


def test_load_config_huge_integer_seconds_reported_not_crash(tmp_path: Path) -> None:
    home = make_home(tmp_path, f'{{"args": ["backup"], "pause_seconds": {"9" * 400}}}'.encode())
    problem = only_problem(home)
    assert problem.key == "pause_seconds"


@pytest.mark.parametrize("which", ["settings", "env"])
def test_load_config_overlong_integer_literal_reported_not_crash(
    tmp_path: Path, which: str
) -> None:
    body = f'{{"args": ["backup"], "A": {"1" * 5000}}}'.encode()
    home = make_home(tmp_path, body) if which == "settings" else make_home(tmp_path, MINIMAL, body)
    problems = load_problems(home)
    assert problems


# --- env.json ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "key", "expected"),
    [
        pytest.param(
            {"A": 1}, "A", "expected a string value, got a number (put it in quotes).", id="int"
        ),
        pytest.param({"A": 1.5}, "A", "got a number (put it in quotes)", id="float"),
        pytest.param({"A": True}, "A", "got a boolean", id="bool"),
        pytest.param({"A": None}, "A", "got null", id="null"),
        pytest.param({"A": ["x"]}, "A", "got a list", id="list"),
        pytest.param(
            {"A": {"x": "y"}}, "A", 'or {"keyring": "NAME"}', id="object-not-a-keyring-ref"
        ),
        pytest.param({"A": "x\x00y"}, "A", "the value contains a NUL character.", id="nul-value"),
        pytest.param(
            {"": "x"}, "(empty name)", "not a valid environment variable name", id="empty-name"
        ),
        pytest.param({"A=B": "x"}, "A=…", "not a valid environment variable name", id="eq"),
        pytest.param({"A\x00B": "x"}, "A…", "not a valid environment variable name", id="nul"),
    ],
)
def test_parse_env_refuses_bad_entries(
    tmp_path: Path, env: dict[str, Any], key: str, expected: str
) -> None:
    path = tmp_path / "env.json"
    problems: list[Problem] = []
    assert parse_env(env, path, problems) is None
    assert len(problems) == 1
    assert (problems[0].file, problems[0].key) == (path, key)
    assert expected in problems[0].message


def test_parse_env_valid_values_kept_and_underscore_keys_are_comments() -> None:
    problems: list[Problem] = []
    env = parse_env(
        {"RESTIC_PASSWORD": SECRET, "EMPTY": "", "_comment": "ok"}, Path("env.json"), problems
    )
    assert problems == []
    assert env is not None
    assert dict(env) == {"RESTIC_PASSWORD": SECRET, "EMPTY": ""}
    assert len(env) == 2
    assert sorted(env) == ["EMPTY", "RESTIC_PASSWORD"]


def test_secret_env_secrets_lists_values_worth_masking_longest_first() -> None:
    env = SecretEnv({"A": "abc", "B": "abcd", "C": SECRET, "D": SECRET, "E": ""})
    assert env.secrets() == [SECRET, "abcd"]


def test_secret_env_repr_and_str_show_names_only() -> None:
    env = SecretEnv({"RESTIC_PASSWORD": SECRET, "B2_ACCOUNT_KEY": "another-secret-value"})
    for text in (repr(env), str(env), f"{env}", f"{env!r}", repr([env]), repr({"e": env})):
        assert SECRET not in text
        assert "another-secret-value" not in text
        assert "RESTIC_PASSWORD" in text


def test_load_config_valid_secret_never_in_repr(tmp_path: Path) -> None:
    env = {"RESTIC_PASSWORD": SECRET, "RESTIC_REPOSITORY": "/srv/repo"}
    config = load_config(make_home(tmp_path, MINIMAL, env))
    assert config.env["RESTIC_PASSWORD"] == SECRET
    for text in (repr(config), str(config), repr(config.env), str(config.env), f"{config}"):
        assert SECRET not in text
    assert config == Config(settings=config.settings, env=config.env)


MALFORMED_ENVS = [
    pytest.param(json.dumps({"RESTIC_PASSWORD": [SECRET]}).encode(), id="in-list"),
    pytest.param(json.dumps({"RESTIC_PASSWORD": {"v": SECRET}}).encode(), id="in-object"),
    pytest.param(json.dumps({"RESTIC_PASSWORD": SECRET + "\x00"}).encode(), id="with-nul"),
    pytest.param(json.dumps({"RESTIC_PASSWORD": SECRET, "X": 1}).encode(), id="valid-next-to-bad"),
    pytest.param(json.dumps({"": SECRET}).encode(), id="empty-name"),
    pytest.param(json.dumps({"A=B": SECRET}).encode(), id="bad-name"),
    pytest.param(f'{{"RESTIC_PASSWORD": {SECRET}}}'.encode(), id="unquoted"),
    pytest.param(f'{{"RESTIC_PASSWORD": "{SECRET}}}'.encode(), id="unterminated"),
    pytest.param(f'{{"RESTIC_PASSWORD": "{SECRET}\\q"}}'.encode(), id="bad-escape"),
    pytest.param(f'{{"RESTIC_PASSWORD": "{SECRET}\t"}}'.encode(), id="control-char"),
    pytest.param(f'{{"RESTIC_PASSWORD": "{SECRET}"}} trailing'.encode(), id="extra-data"),
    pytest.param(f'{{"RESTIC_PASSWORD": "{SECRET}",}}'.encode(), id="trailing-comma"),
    pytest.param(f'{{"RESTIC_PASSWORD" "{SECRET}"}}'.encode(), id="missing-colon"),
    pytest.param(
        f'{{"RESTIC_PASSWORD": "{SECRET}", "RESTIC_PASSWORD": "{SECRET}"}}'.encode(),
        id="duplicate",
    ),
    pytest.param(json.dumps(SECRET).encode(), id="top-level-string"),
    pytest.param(json.dumps([SECRET]).encode(), id="top-level-list"),
    pytest.param(f'{{"RESTIC_PASSWORD": "{SECRET}\xe9"}}'.encode("latin-1"), id="latin1"),
    pytest.param(f"RESTIC_PASSWORD={SECRET}\n".encode(), id="dotenv-format"),
    pytest.param(f"export RESTIC_PASSWORD='{SECRET}'\n".encode(), id="shell-format"),
    pytest.param(b"\xef\xbb\xbf" + f'{{"RESTIC_PASSWORD": {SECRET}}}'.encode(), id="bom-unquoted"),
    pytest.param(
        f'{{"RESTIC_PASSWORD": "{SECRET}", "_pad": "{"x" * MAX_CONFIG_BYTES}"}}'.encode(),
        id="too-large",
    ),
    pytest.param(json.dumps({"PASSWORD_NUMBER": 987654321987}).encode(), id="numeric-secret"),
]


@pytest.mark.parametrize("body", MALFORMED_ENVS)
def test_load_config_malformed_env_never_leaks_secret(tmp_path: Path, body: bytes) -> None:
    home = make_home(tmp_path, MINIMAL, body)
    with pytest.raises(ConfigError) as info:
        load_config(home)
    assert any(p.file == home.env_json for p in info.value.problems)
    for text in texts_of(info.value):
        assert SECRET not in text
        assert "987654321987" not in text


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"args": 5}, id="bad-settings"),
        pytest.param(b"{", id="broken-settings"),
    ],
)
def test_load_config_valid_env_with_bad_settings_never_leaks_secret(
    tmp_path: Path, settings: object
) -> None:
    home = make_home(tmp_path, settings, {"RESTIC_PASSWORD": SECRET, "X": "also"})
    with pytest.raises(ConfigError) as info:
        load_config(home)
    for text in texts_of(info.value):
        assert SECRET not in text


def test_load_config_name_equals_value_key_never_leaks_secret(tmp_path: Path) -> None:
    home = make_home(tmp_path, MINIMAL, {f"RESTIC_PASSWORD={SECRET}": ""})
    with pytest.raises(ConfigError) as info:
        load_config(home)
    for text in texts_of(info.value):
        assert SECRET not in text


def test_config_error_str_lists_each_problem_on_its_own_line(tmp_path: Path) -> None:
    p1 = Problem(tmp_path / "a.json", "k", "bad.")
    p2 = Problem(tmp_path / "b.json", None, "worse.")
    err = ConfigError([p1, p2])
    assert err.problems == (p1, p2)
    assert str(err) == f"{tmp_path / 'a.json'}: k: bad.\n{tmp_path / 'b.json'}: worse."


# --- examples ------------------------------------------------------------------------------------


def test_example_settings_pass_parse_settings(tmp_path: Path) -> None:
    example = example_settings()
    problems: list[Problem] = []
    settings = parse_settings(example, tmp_path / "settings.json", problems)
    assert problems == []
    assert settings is not None
    assert settings.args[0] == "backup"
    assert settings.restic_exe
    defaults = Settings(args=settings.args, restic_exe=settings.restic_exe)
    assert settings == defaults
    assert set(example) == {"$schema", *(spec.name for spec in SETTINGS)}  # and where to check it


def test_example_settings_uses_given_restic_exe() -> None:
    assert example_settings("/opt/bin/restic")["restic_exe"] == "/opt/bin/restic"


def test_example_files_written_as_json_load(tmp_path: Path) -> None:
    home = make_home(tmp_path, example_settings("/opt/bin/restic"), example_env())
    config = load_config(home)
    assert config.settings.restic_exe == "/opt/bin/restic"
    assert set(config.env) == {"RESTIC_REPOSITORY", "RESTIC_PASSWORD"}


def test_a_settings_file_that_cannot_even_be_looked_at_is_a_problem_not_a_crash(
    home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    home.ensure()
    home.settings_json.write_text('{"args": ["backup", "/data"]}')
    home.env_json.write_text("{}")
    real_stat = Path.stat

    def stat(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == home.settings_json:
            raise PermissionError(13, "Permission denied")
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    with pytest.raises(ConfigError) as caught:
        load_config(home)

    assert [str(p) for p in caught.value.problems] == [
        f"{home.settings_json}: cannot be read (Permission denied)."
    ]
