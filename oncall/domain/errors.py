"""The domain's ways to refuse: bad input, a state that forbids it, nothing there, or too busy now.

Every error a domain package raises for a person to read derives from one of these, so the web
maps them to a page's notice or an HTTP status in one place (oncall/web/ui/forms.py and the
middlewares) and the commands print them as they are. The message is a sentence for that person.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A refusal: the request was understood and nothing was changed."""


class Invalid(DomainError, ValueError):
    """Bad input. `errors` maps each bad field to what is wrong with it; the message names them
    ("month: expected YYYY-MM (e.g. 2027-01), got '2027-13'").

    Give a field and its problem, a mapping of several (a form's every mistake at once), or one
    sentence that starts with the field and a colon, as the rota and policy checks write them.
    """

    def __init__(self, field: str | Mapping[str, str], problem: str | None = None) -> None:
        if isinstance(field, Mapping):
            errors = dict(field)
        elif problem is not None:
            errors = {field: problem}
        else:
            name, colon, rest = field.partition(": ")
            errors = {name: rest} if colon else {"": field}
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))
        self.errors = errors

    @property
    def field(self) -> str:
        """The (first) field the input is wrong in."""
        return next(iter(self.errors), "")


class Conflict(DomainError):
    """The input is well formed but the state does not allow it: a version already published, a
    number taken by another line, a request already decided."""


class NotFound(DomainError, LookupError):
    """What the request names does not exist (or no longer does)."""


class Busy(DomainError):
    """Understood and well formed, but the service is at capacity for it right now: nothing was
    done; the same request may succeed after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
