"""A PostgreSQL database of a bench run's own, created beside the admin URL's and dropped after."""

from __future__ import annotations

import os
import secrets

import asyncpg

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


def libpq(url: str) -> str:
    """The same URL as asyncpg takes it (no SQLAlchemy driver name)."""
    return "postgresql://" + url.split("://", 1)[1]


async def _execute(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(libpq(admin_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def create_database(purpose: str, admin_url: str) -> tuple[str, str]:
    """A new, empty database named for this run: (its SQLAlchemy URL, its name)."""
    name = f"oncall_bench_{purpose}_{os.getpid()}_{secrets.token_hex(2)}"
    await _execute(admin_url, f'CREATE DATABASE "{name}"')
    server = libpq(admin_url).split("://", 1)[1].rsplit("/", 1)[0]
    return f"postgresql+asyncpg://{server}/{name}", name


async def drop_database(name: str, admin_url: str) -> None:
    """Drop the run's database, whoever is still connected to it."""
    await _execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
