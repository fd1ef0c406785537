"""The setup core: every repository kind's string and variables, the presets, the estimate.

What the wizard, the prompts and the options share; checked without a window
or a terminal, then through the terminal's questions end to end with the
real restic.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from restic_monitor.paths import Home
from restic_monitor.setup.connection import Verdict
from restic_monitor.setup.estimate import CACHEDIR_SIGNATURE, estimate, matches
from restic_monitor.setup.kinds import BY_KEY, KINDS, SetupInputError, build, kind_of
from restic_monitor.setup.presets import backup_args, chosen_patterns, exclude_groups

from .conftest import SECRET, Repo, cli_env

FULL = {
    "local": ({"path": "/mnt/disk/restic"}, "/mnt/disk/restic", {}),
    "sftp": ({"host": "nas", "user": "me", "path": "/srv/r"}, "sftp:me@nas:/srv/r", {}),
    "rest": (
        {"url": "https://b.example.org:8000/lap/", "user": "me", "password": "p@ss/w"},
        "rest:https://me:p%40ss%2Fw@b.example.org:8000/lap/",
        {},
    ),
    "s3": (
        {"endpoint": "http://127.0.0.1:9000", "bucket": "bk", "path": "lap", "region": "eu-1",
         "key_id": "AKID", "secret": "SK"},
        "s3:http://127.0.0.1:9000/bk/lap",
        {"AWS_DEFAULT_REGION": "eu-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SK"},
    ),
    "b2": (
        {"bucket": "bk", "path": "lap", "account_id": "id", "account_key": "key"},
        "b2:bk:lap",
        {"B2_ACCOUNT_ID": "id", "B2_ACCOUNT_KEY": "key"},
    ),
    "azure": (
        {"account": "acc", "key": "k", "container": "c", "path": "lap"},
        "azure:c:/lap",
        {"AZURE_ACCOUNT_NAME": "acc", "AZURE_ACCOUNT_KEY": "k"},
    ),
    "gs": (
        {"project": "p1", "credentials": "/k.json", "bucket": "bk", "path": ""},
        "gs:bk:/",
        {"GOOGLE_PROJECT_ID": "p1", "GOOGLE_APPLICATION_CREDENTIALS": "/k.json"},
    ),
    "rclone": ({"remote": "gdrive:backups/lap"}, "rclone:gdrive:backups/lap", {}),
}  # fmt: skip


def test_every_kind_builds_restics_string_and_variables_and_reads_back() -> None:
    assert {k.key for k in KINDS} == set(FULL)
    for key, (values, repository, env) in FULL.items():
        assert build(key, values) == (repository, env), key
        assert kind_of(repository).key == key


def test_a_missing_required_field_is_named_and_optional_ones_may_be_empty() -> None:
    for kind in KINDS:
        values = FULL[kind.key][0]
        for field in kind.fields:
            partial = {**values, field.key: ""}
            if field.required and not field.default:
                with pytest.raises(SetupInputError, match=re.escape(field.label)):
                    build(kind.key, partial)
            else:
                build(kind.key, partial)


def test_sftp_with_a_port_and_rest_without_a_user_and_s3s_default_endpoint() -> None:
    assert build("sftp", {"host": "h", "port": "2222", "path": "/srv/r"})[0] == (
        "sftp://h:2222//srv/r"
    )
    with pytest.raises(SetupInputError, match="Port"):
        build("sftp", {"host": "h", "port": "22x", "path": "/r"})
    assert build("rest", {"url": "http://h:8000/"})[0] == "rest:http://h:8000/"
    with pytest.raises(SetupInputError, match="Address"):
        build("rest", {"url": "h:8000"})
    values = {"bucket": "bk", "key_id": "a", "secret": "b"}
    assert build("s3", values)[0] == "s3:s3.amazonaws.com/bk"


def test_secrets_are_marked_as_such() -> None:
    secret = {(k.key, f.key) for k in KINDS for f in k.fields if f.secret}
    assert secret == {("rest", "password"), ("s3", "secret"), ("b2", "account_key"),
                      ("azure", "key")}  # fmt: skip
    assert BY_KEY["gs"].field("credentials").env == "GOOGLE_APPLICATION_CREDENTIALS"


def test_unreachable_words_tell_dns_refused_and_timeout_apart() -> None:
    where = "rest:http://nas:8000/"
    said = {
        "dial tcp: lookup nas on 127.0.0.53:53: no such host": "not known (DNS)",
        "dial tcp 10.0.0.2:8000: connect: connection refused": "connection refused",
        "dial tcp 10.0.0.2:8000: i/o timeout": "timeout",
        "no answer within 60 s": "timeout",
    }
    for line, words in said.items():
        text = Verdict("repository_unreachable", line).words(where)
        assert text.startswith(f"Cannot reach {where}: ") and words in text, text
    assert "no repository at /x yet" in Verdict("repository_missing").words("/x")


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_presets_per_system_are_absolute_or_names_and_development_is_opt_in(
    platform: str, tmp_path: Path
) -> None:
    groups = exclude_groups(platform, tmp_path)
    keys = [g.key for g in groups]
    assert {"temp", "trash", "caches", "browsers", "development"} <= set(keys)
    assert len(set(keys)) == len(keys)
    assert not next(g for g in groups if g.key == "development").default_on
    patterns = chosen_patterns(groups, {"development"})
    assert "node_modules" in patterns and ".venv" in patterns
    args = backup_args(["/data"], ["*.iso"], exclude_caches=True, nobackup=False)
    assert args == ["backup", "--exclude-caches", "--exclude", "*.iso", "/data"]


def test_patterns_match_as_restic_matches_them() -> None:
    assert matches("/home/u/.cache/x/y", ["/home/u/.cache"])
    assert not matches("/home/u/.cachex", ["/home/u/.cache"])
    assert matches("/home/u/p/node_modules/a.js", ["node_modules"])
    assert matches("/home/u/a.tmp", ["*.tmp"]) and not matches("/home/u/a.tmpx", ["*.tmp"])
    assert matches("/h/.mozilla/firefox/ab.def/cache2/e", ["/h/.mozilla/firefox/*/cache2"])
    assert not matches("/h/.mozilla/firefox/a/b/cache2", ["/h/.mozilla/firefox/*/cache2"])
    assert matches("/a/b/c/d", ["/a/**/d"]) and matches("/x/a/b", ["a/b"])
    assert matches("C:/Users/me/AppData/Local/Temp/x", ["C:\\Users\\me\\AppData\\Local\\Temp"])


def test_the_estimate_counts_what_restic_would_back_up(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "keep" / "deep").mkdir(parents=True)
    (root / "keep" / "a.txt").write_bytes(b"a" * 1000)
    (root / "keep" / "deep" / "b.bin").write_bytes(b"b" * 5000)
    (root / "keep" / "skip.tmp").write_bytes(b"t" * 7000)
    (root / "cache").mkdir()
    (root / "cache" / "CACHEDIR.TAG").write_bytes(CACHEDIR_SIGNATURE + b"\n")
    (root / "cache" / "big").write_bytes(b"c" * 9000)
    (root / "private").mkdir()
    (root / "private" / ".nobackup").write_bytes(b"")
    (root / "private" / "x").write_bytes(b"x" * 3000)
    (root / "link").symlink_to(root / "keep")
    found = estimate([str(root), str(tmp_path / "gone")], ["*.tmp"])
    assert found.complete and found.missing == (str(tmp_path / "gone"),)
    assert (found.files, found.bytes) == (3, 6000 + len(os.readlink(root / "link")))
    everything = estimate([str(root)], [], exclude_caches=False, nobackup=False)
    assert everything.files == 8  # the tag and the .nobackup marker are files too


def _setup_prompts(home: Home, answers: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "restic_monitor", "--home", str(home.root), "setup", "--no-gui",
         *extra],
        input="\n".join(answers) + "\n", capture_output=True, text=True, env=cli_env(),
        timeout=300, check=False,
    )  # fmt: skip


def test_the_terminal_questions_create_a_repository_and_a_backup_follows(
    home: Home, sample: Path, tmp_path: Path, restic_exe: str
) -> None:
    where = tmp_path / "new-repo"
    groups = len(exclude_groups())
    answers = [
        "1", str(where),  # a local folder
        SECRET, "n",  # the password, kept in env.json
        str(sample), "",  # one folder
        *[""] * groups, "*.iso, *.vdi",  # the presets as offered, two patterns more
        "y", "not the same", SECRET,  # create it, the password twice (once mistyped)
        "y",  # and back up now
    ]  # fmt: skip
    done = _setup_prompts(home, answers, "--restic-exe", restic_exe)
    assert done.returncode == 0, done.stderr
    assert "That is not the same password." in done.stderr
    assert "The first backup reads" in done.stderr and SECRET not in done.stdout + done.stderr
    env = json.loads(home.env_json.read_text())
    assert env == {"RESTIC_REPOSITORY": str(where), "RESTIC_PASSWORD": SECRET}
    assert stat.S_IMODE(os.stat(home.env_json).st_mode) == 0o600
    args = json.loads(home.settings_json.read_text())["args"]
    assert args[-1] == str(sample) and "*.vdi" in args and "--exclude-caches" in args
    assert "Backup succeeded" in done.stdout, done.stdout
    repo = Repo(where, SECRET, restic_exe, env)
    assert len(repo.snapshots()) == 1
    listed = repo.run("ls", "--json", "latest").stdout
    assert str(sample / "docs" / "deep" / "b.bin") in listed  # the files, not only folders


def test_questions_ended_early_or_no_repository_wanted_write_nothing(
    home: Home, sample: Path, tmp_path: Path
) -> None:
    where = tmp_path / "new-repo"
    early = _setup_prompts(home, ["1", str(where)])
    assert early.returncode == 2 and "nothing was written" in early.stderr
    groups = len(exclude_groups())
    declined = _setup_prompts(
        home, ["1", str(where), SECRET, "n", str(sample), "", *[""] * groups, "", "n"]
    )
    assert declined.returncode == 1 and "Nothing was written" in declined.stderr
    assert not home.settings_json.exists() and not home.env_json.exists() and not where.exists()


def test_the_wizard_says_when_a_selection_would_back_up_nothing(tmp_path: Path) -> None:
    from restic_monitor.tray.setup_folders import size_words

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "big.iso").write_bytes(b"x" * 100)
    nothing = estimate([str(tmp_path / "data")], ["*.iso"])
    assert "Nothing would be backed up" in size_words(nothing)
    something = estimate([str(tmp_path / "data")], [])
    assert "Nothing would be backed up" not in size_words(something)
