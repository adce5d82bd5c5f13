"""`oncall user …`: create users, change passwords and roles, list, disable and enable them."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from typing import Any

from oncall.cli.base import (
    EXIT_OK,
    EXIT_USAGE,
    CommandFailed,
    add_command,
    add_group,
    open_database,
)
from oncall.clock import SystemClock
from oncall.db.models import Role
from oncall.domain.people import (
    MIN_PASSWORD_LENGTH,
    UserConflict,
    UserInvalid,
    UserNotFound,
    change_password,
    check_password,
    check_username,
    create_user,
    list_users,
    set_roles,
    set_user_active,
)
from oncall.settings import Settings


def cli_actor() -> str:
    """Who ran the command, for the audit log: `cli:` and the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (e.g. a bare container)
        return "cli"


class PasswordInputError(Exception):
    """The password could not be read; exit status 2."""


def read_password(from_stdin: bool) -> str:
    """One line from stdin with --password-stdin, else twice from the terminal without echo.
    Never from an argument: arguments show up in `ps` and in shell history."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise PasswordInputError("--password-stdin: no line on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise PasswordInputError("password: standard input is not a terminal; use --password-stdin")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise PasswordInputError("password: the two entries differ")
    return first


def register(sub: Any) -> None:
    user = add_group(sub, "user", "sign-in users")
    create = add_command(user, "create", _create, "create a user (password from a prompt)")
    create.add_argument("username", metavar="USERNAME")
    create.add_argument(
        "--role", action="append", required=True, choices=[r.value for r in Role],
        help="a role the user holds (repeat for more)",
    )  # fmt: skip
    create.add_argument("--person", metavar="CODE", help="link to the rota person, e.g. sw014")
    create.add_argument("--name", help="display name (default: the person's name or USERNAME)")
    _password_option(create)
    password = add_command(user, "password", _password, "set a user's password")
    password.add_argument("username", metavar="USERNAME")
    _password_option(password)
    roles = add_command(user, "roles", _roles, "give a user exactly these roles")
    roles.add_argument("username", metavar="USERNAME")
    roles.add_argument(
        "--role", action="append", required=True, choices=[r.value for r in Role],
        help="a role the user is to hold (repeat for more); roles not named are taken away",
    )  # fmt: skip
    add_command(user, "list", _list, "list users with their roles (no secrets)")
    for action, help_text in (("disable", "stop a user signing in"), ("enable", "undo disable")):
        parser = add_command(user, action, _set_active, help_text)
        parser.add_argument("username", metavar="USERNAME")
        parser.set_defaults(active=action == "enable")


def _password_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin", action="store_true",
        help=f"read the password (at least {MIN_PASSWORD_LENGTH} characters) as one line from "
        "standard input instead of prompting",
    )  # fmt: skip
    # Caught so that a password typed here is refused by name, not echoed in an argparse error.
    parser.add_argument("--password", nargs="?", const="", default=None, help=argparse.SUPPRESS)


def _new_password(args: argparse.Namespace) -> str | None:
    """The password read and checked, or None after printing why (exit status 2)."""
    if args.password is not None:
        print(
            "oncall: --password: a password is never taken from the command line (it would show "
            "in `ps` and the shell history); use the prompt or --password-stdin",
            file=sys.stderr,
        )
        return None
    try:
        password = read_password(args.password_stdin)
        check_password(password)
    except (PasswordInputError, UserInvalid) as exc:
        print(f"oncall: {exc}", file=sys.stderr)
        return None
    return password


def _create(args: argparse.Namespace, settings: Settings) -> int:
    try:
        check_username(args.username)
    except UserInvalid as exc:
        print(f"oncall: {exc}", file=sys.stderr)
        return EXIT_USAGE
    password = _new_password(args)
    if password is None:
        return EXIT_USAGE

    async def create() -> int:
        async with open_database(settings) as db, db.sessions() as session:
            try:
                user = await create_user(
                    session, username=args.username, roles=args.role, password=password,
                    now=SystemClock().now(), actor=cli_actor(), person_code=args.person,
                    display_name=args.name,
                )  # fmt: skip
            except UserConflict as exc:
                raise CommandFailed(str(exc)) from None
            except UserInvalid as exc:
                print(f"oncall: {exc}", file=sys.stderr)
                return EXIT_USAGE
            await session.commit()
            print(f"user {user.username} created: {', '.join(sorted(user.role_names))}")
            return EXIT_OK

    return asyncio.run(create())


def _password(args: argparse.Namespace, settings: Settings) -> int:
    password = _new_password(args)
    if password is None:
        return EXIT_USAGE

    async def change() -> int:
        async with open_database(settings) as db, db.sessions() as session:
            try:
                await change_password(
                    session, username=args.username, password=password,
                    now=SystemClock().now(), actor=cli_actor(),
                )  # fmt: skip
            except UserNotFound as exc:
                raise CommandFailed(str(exc)) from None
            await session.commit()
        print(
            f"password of {args.username} changed; every session of theirs has ended (API "
            "tokens are kept: `oncall token revoke --user` ends them)"
        )
        return EXIT_OK

    return asyncio.run(change())


def _roles(args: argparse.Namespace, settings: Settings) -> int:
    async def change() -> int:
        async with open_database(settings) as db, db.sessions() as session:
            try:
                changed = await set_roles(
                    session, username=args.username, roles=args.role,
                    now=SystemClock().now(), actor=cli_actor(),
                )  # fmt: skip
            except UserNotFound as exc:
                raise CommandFailed(str(exc)) from None
            await session.commit()
        roles = ", ".join(sorted(set(args.role)))
        if changed:
            print(f"{args.username} now holds {roles}; every session of theirs has ended")
        else:
            print(f"{args.username} already held {roles}")
        return EXIT_OK

    return asyncio.run(change())


def _list(args: argparse.Namespace, settings: Settings) -> int:
    async def show() -> None:
        async with open_database(settings) as db, db.sessions() as session:
            users = await list_users(session)
        if not users:
            print("no users")
        for user in users:
            state = "active" if user.active else "disabled"
            roles = ",".join(sorted(user.role_names)) or "-"
            last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "-"
            print(f"{user.username:<20} {state:<8} {roles:<30} last sign-in {last}")

    asyncio.run(show())
    return EXIT_OK


def _set_active(args: argparse.Namespace, settings: Settings) -> int:
    async def change() -> int:
        async with open_database(settings) as db, db.sessions() as session:
            try:
                changed = await set_user_active(
                    session, username=args.username, active=args.active,
                    now=SystemClock().now(), actor=cli_actor(),
                )  # fmt: skip
            except UserNotFound as exc:
                raise CommandFailed(str(exc)) from None
            await session.commit()
        word = "enabled" if args.active else "disabled"
        ended = "" if args.active else "; every session of theirs has ended"
        print(
            f"{args.username} {word}{ended}" if changed else f"{args.username} was already {word}"
        )
        return EXIT_OK

    return asyncio.run(change())
