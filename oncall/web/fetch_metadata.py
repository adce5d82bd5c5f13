"""Whether a browser says another site started a request (Fetch Metadata, Origin, Referer), for
the places that must refuse one: signing in (login CSRF) and the pages whose every read is
logged under the signed-in user's name (a link on another site must not write that record)."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from oncall import keys
from oncall.log import get_logger
from oncall.web.auth import current_user

log = get_logger(__name__)

# "none": the user typed the address, used a bookmark or a link from outside any page.
_OURS = frozenset({"same-origin", "none"})


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def _is_ours(request: web.Request, origin: str | None) -> bool:
    """This site: the origin of ONCALL_PUBLIC_URL, or the host the request was sent to (behind
    the proxy that is the public host; run locally, whatever address the browser used)."""
    if origin is None:
        return False
    public = _origin(request.config_dict[keys.SETTINGS].public_url)
    return origin == public or urlsplit(origin).netloc == request.host.lower()


def from_another_site(request: web.Request) -> bool:
    """True when the browser says another site (or an opaque origin) started this request.

    Sec-Fetch-Site when sent (current browsers, over https and to localhost): only same-origin
    and none count as ours, so a sibling subdomain is another site too. Else Origin, which a
    browser sends with every POST: "null" (a sandboxed frame, a data: URL) or another origin.
    Else Referer. With none of them it is no browser on another site's page as far as we can
    tell (a script, curl, or an old browser told to send no Referer), and passes.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site.strip().lower() not in _OURS
    origin = request.headers.get("Origin")
    if origin is not None:
        return not _is_ours(request, _origin(origin))
    referer = request.headers.get("Referer")
    if referer:
        return not _is_ours(request, _origin(referer))
    return False


class OpenedFromAnotherSite(web.HTTPForbidden):
    """A page whose reading is logged was opened from another site: it is not shown (and no read
    is logged); the error page offers a link to open it from here."""


def refuse_reads_from_another_site(request: web.Request) -> None:
    """Call before logging a read: a browser session sent by another site gets 403 instead.

    API tokens pass (a browser never sends one by itself), and so does a session on a request
    this site started."""
    user = current_user(request)
    if user is None or user.session_id is None or not from_another_site(request):
        return
    log.warning("logged read opened from another site refused", user=user.username,
                path=request.path)  # fmt: skip
    raise OpenedFromAnotherSite(
        reason="this page was opened from another site, so it was not shown (opening it is "
        "recorded under your name)"
    )
