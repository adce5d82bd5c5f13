"""`oncall user …` and `oncall token …`: from a fresh database to a real sign-in, and refusals."""

from __future__ import annotations

import json

import pytest

from tests.cli.cli_support import events, run_cli, session_cookie, sign_in, status_with_cookie

LINES = ["setup", "lines", "--police", "01534700101", "--hospital", "01534700102",
         "--foster", "01534700103"]  # fmt: skip
PASSWORD = "correct horse battery"


def test_a_fresh_database_goes_live_with_an_administrator_who_signs_in(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def cli(args: list[str], stdin: str = "") -> str:
        result = run_cli(monkeypatch, capsys, db_url, args, stdin)
        assert result.status == 0, result.err
        return result.out

    cli(LINES)
    created = cli(["user", "create", "chief", "--role", "admin", "--password-stdin"],
                  PASSWORD + "\n")  # fmt: skip
    assert created.strip() == "user chief created: admin"
    cli(["user", "create", "rota", "--role", "coordinator", "--role", "worker",
         "--password-stdin"], PASSWORD + "\n")  # fmt: skip

    assert sign_in(db_url, "chief", PASSWORD) == (303, 200)  # an admin reads the event log
    assert sign_in(db_url, "rota", PASSWORD) == (303, 403)  # a coordinator may not
    assert sign_in(db_url, "chief", "wrong password!") == (401, 401)

    listed = cli(["user", "list"])
    assert "chief" in listed and "coordinator,worker" in listed and "active" in listed
    assert "$argon2" not in listed

    cli(["user", "password", "chief", "--password-stdin"], "a brand new secret\n")
    assert sign_in(db_url, "chief", PASSWORD)[0] == 401
    assert sign_in(db_url, "chief", "a brand new secret") == (303, 200)

    token = cli(["token", "create", "chief", "--name", "monitoring"]).strip()
    assert token.startswith("oc_")
    assert "monitoring" in cli(["token", "list"]) and token not in cli(["token", "list"])
    assert cli(["token", "revoke", "--user", "chief"]).strip() == "1 token(s) of chief revoked"
    assert "revoked" in cli(["token", "list", "--user", "chief"])

    assert cli(["user", "disable", "chief"]).strip() == (
        "chief disabled; every session of theirs has ended"
    )
    assert sign_in(db_url, "chief", "a brand new secret")[0] == 401
    assert "disabled" in cli(["user", "list"])
    cli(["user", "enable", "chief"])
    assert sign_in(db_url, "chief", "a brand new secret")[0] == 303

    written = events(db_url)
    kinds = [kind for kind, _, _ in written]
    for kind in ("user.created", "user.password_changed", "token.created", "token.revoked",
                 "user.disabled", "user.enabled"):  # fmt: skip
        assert kind in kinds
    text = json.dumps([details for _, _, details in written])
    for secret in (PASSWORD, "a brand new secret", "argon2", token):
        assert secret not in text  # no password, hash or token in the log
    ours = [actor for kind, actor, _ in written if kind.startswith(("user.", "token."))]
    assert len(ours) >= 6 and all(actor.startswith("cli") for actor in ours)


def test_a_password_change_a_role_change_and_disabling_end_every_session_of_the_user(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def cli(args: list[str], stdin: str = "") -> str:
        result = run_cli(monkeypatch, capsys, db_url, args, stdin)
        assert result.status == 0, result.err
        return result.out

    cli(["user", "create", "chief", "--role", "admin", "--password-stdin"], PASSWORD + "\n")
    cli(["user", "create", "other", "--role", "admin", "--password-stdin"], PASSWORD + "\n")
    bystander = session_cookie(db_url, "other", PASSWORD)
    password = PASSWORD
    for change, stdin in (
        (["user", "password", "chief", "--password-stdin"], "a brand new secret\n"),
        (["user", "roles", "chief", "--role", "manager"], ""),
        (["user", "disable", "chief"], ""),
    ):
        cookies = [session_cookie(db_url, "chief", password) for _ in range(2)]  # two devices
        assert [status_with_cookie(db_url, c) for c in cookies] == [200, 200]
        cli(change, stdin)
        assert [status_with_cookie(db_url, c) for c in cookies] == [401, 401], change
        password = stdin.strip() or password
    cli(["user", "enable", "chief"])  # enabling again brings no old session back
    assert status_with_cookie(db_url, cookies[0]) == 401
    assert status_with_cookie(db_url, bystander) == 200  # nobody else was signed out
    assert "user.roles_changed" in [kind for kind, _, _ in events(db_url)]
    assert cli(["user", "roles", "chief", "--role", "manager"]).strip() == (
        "chief already held manager"
    )


@pytest.mark.parametrize(
    ("args", "stdin", "status", "named"),
    [
        (["user", "create", "x y", "--role", "admin", "--password-stdin"], PASSWORD, 2,
         "USERNAME"),
        (["user", "create", "ann", "--role", "boss", "--password-stdin"], PASSWORD, 2, "--role"),
        (["user", "create", "ann", "--password-stdin"], PASSWORD, 2, "--role"),
        (["user", "create", "ann", "--role", "admin", "--password-stdin"], "short\n", 2,
         "password"),
        (["user", "create", "ann", "--role", "admin", "--password-stdin"], "", 2,
         "--password-stdin"),
        (["user", "create", "ann", "--role", "admin"], PASSWORD, 2, "--password-stdin"),
        (["user", "create", "ann", "--role", "admin", "--password", PASSWORD], "", 2,
         "--password"),
        (["user", "create", "ann", "--role", "worker", "--person", "sw999",
          "--password-stdin"], PASSWORD, 1, "--person"),
        (["user", "create", "admin", "--role", "admin", "--password-stdin"], PASSWORD, 1,
         "already exists"),
        (["user", "password", "nobody", "--password-stdin"], PASSWORD, 1, "no user named"),
        (["user", "password", "admin", "--password-stdin"], "short\n", 2, "password"),
        (["token", "revoke", "99"], "", 1, "no API token with id 99"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    args: list[str],
    stdin: str,
    status: int,
    named: str,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = run_cli(monkeypatch, capsys, sqlite_url,
                    ["user", "create", "admin", "--role", "admin", "--password-stdin"],
                    PASSWORD)  # fmt: skip
    assert first.status == 0
    before = events(sqlite_url)
    result = run_cli(monkeypatch, capsys, sqlite_url, args, stdin)
    assert result.status == status
    assert named in result.err
    assert events(sqlite_url) == before
    listed = run_cli(monkeypatch, capsys, sqlite_url, ["user", "list"]).out
    assert listed.count("\n") == 1  # still only the one user
    assert sign_in(sqlite_url, "admin", PASSWORD)[0] == 303  # and its password unchanged
