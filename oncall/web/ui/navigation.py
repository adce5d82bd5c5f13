"""The main navigation: the screens a user's roles open (the server still checks every request)."""

from __future__ import annotations

from dataclasses import dataclass

from oncall.db.models import Role
from oncall.web.auth import AuthUser

EDITORS = (Role.ADMIN, Role.COORDINATOR)
READERS = (Role.ADMIN, Role.COORDINATOR, Role.MANAGER)


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str


def nav_for(user: AuthUser | None) -> list[NavItem]:
    if not isinstance(user, AuthUser):
        return []
    items = [NavItem("/now", "Now")]
    if user.has(*READERS):
        items.append(NavItem("/rota", "Rota"))
    if user.has(*EDITORS):
        items += [NavItem("/staff", "Staff"), NavItem("/requests", "Requests")]
    if user.person_id is not None:
        items.append(NavItem("/my", "My shifts"))
    if user.has(*READERS):
        items.append(NavItem("/lines", "Lines and callers"))
    if user.has(*READERS):
        items.append(NavItem("/missing", "Missing"))
    if user.has(Role.ADMIN, Role.MANAGER):
        items.append(NavItem("/audit", "Audit"))
    return items
