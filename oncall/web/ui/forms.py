"""A form post as one unit of work: a session, the domain's change, one commit, and the domain's
refusals shown as the page's notice.

    async with unit_of_work(request, back="/lines", refused="Line not saved") as session:
        line = await update_line(session, ...)
    raise redirect("/lines", f"{line.name} saved.")

An Invalid or Conflict from the domain rolls the change back and sends the person to `back` with
"Line not saved: <what is wrong>"; a NotFound goes on to the error middleware (a 404 page), as
does anything else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from oncall import keys
from oncall.domain.errors import Conflict, Invalid
from oncall.web.ui.common import redirect


@contextmanager
def refusal_notice(back: str, refused: str = "") -> Iterator[None]:
    """Invalid or Conflict inside becomes a 303 to `back` with "refused: reason" as its notice."""
    try:
        yield
    except (Invalid, Conflict) as exc:
        raise redirect(back, f"{refused}: {exc}" if refused else str(exc)) from None


@asynccontextmanager
async def unit_of_work(
    request: web.Request, *, back: str, refused: str = ""
) -> AsyncIterator[AsyncSession]:
    """A session whose changes are committed when the block ends and rolled back when it raises;
    a refusal goes back to `back` as the notice (`refusal_notice`)."""
    with refusal_notice(back, refused):
        async with request.config_dict[keys.DATABASE].sessions() as session:
            yield session
            await session.commit()
