"""Parses and checks TwiML documents into plain verb trees; anything we do not know is an error."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

VOICE_VERBS = frozenset(
    {"Say", "Play", "Pause", "Gather", "Dial", "Record", "Hangup", "Redirect", "Reject"}
)
MESSAGING_VERBS = frozenset({"Message"})
# What may be nested inside each verb (Twilio rejects other nestings with error 12200).
NESTABLE = {
    "Gather": frozenset({"Say", "Play", "Pause"}),
    "Dial": frozenset({"Number"}),
    "Message": frozenset({"Body", "Media"}),
}
MAX_TWIML_BYTES = 64 * 1024  # Twilio's limit for a TwiML document


class TwimlError(Exception):
    """The document is not TwiML the fake (and Twilio) can run."""


@dataclass(frozen=True, slots=True)
class Verb:
    """One TwiML element: its name, attributes, text and nested elements."""

    name: str
    attrs: dict[str, str]
    text: str
    children: tuple[Verb, ...] = ()

    def attr_int(self, name: str, default: int) -> int:
        """An integer attribute, with Twilio's default when absent."""
        raw = self.attrs.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise TwimlError(f"<{self.name} {name}={raw!r}> is not a number") from exc


def _element(node: ET.Element, allowed: frozenset[str]) -> Verb:
    if node.tag not in allowed:
        raise TwimlError(f"unsupported TwiML element <{node.tag}>")
    nested = NESTABLE.get(node.tag, frozenset())
    children = tuple(_element(child, nested) for child in node)
    return Verb(node.tag, dict(node.attrib), (node.text or "").strip(), children)


def _parse(body: str, allowed: frozenset[str]) -> list[Verb]:
    if len(body.encode()) > MAX_TWIML_BYTES:
        raise TwimlError("TwiML document larger than 64 kB")
    if not body.strip():
        raise TwimlError("empty response body (expected TwiML)")
    try:
        # The documents come from the service under test, not from strangers, and are
        # size-capped above; stdlib expat does not fetch external entities.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise TwimlError(f"invalid XML: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(f"root element is <{root.tag}>, expected <Response>")
    return [_element(child, allowed) for child in root]


def parse_voice(body: str) -> list[Verb]:
    """The verbs of a voice TwiML document."""
    return _parse(body, VOICE_VERBS)


def parse_messaging(body: str) -> list[Verb]:
    """The verbs of a messaging TwiML document; an empty body means "no reply"."""
    if not body.strip():
        return []
    return _parse(body, MESSAGING_VERBS)


def message_text(verb: Verb) -> str:
    """The text of a <Message>, given inline or in a nested <Body>."""
    bodies = [child.text for child in verb.children if child.name == "Body"]
    return " ".join(bodies) if bodies else verb.text
