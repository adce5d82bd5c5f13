"""Every event kind the code writes, found in the source, is one the timeline puts into words."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from oncall.domain.audit.describe import _SENTENCES, describe_event
from oncall.domain.outbox import LOGGED_OUTCOMES

ROOT = Path(__file__).resolve().parents[2] / "oncall"
# the functions that append an event
WRITERS = {"append_event", "_event", "message_event", "episode_event"}
CHANNELS = ("sms", "voice")  # f"{row.channel}.sent" and the like
# The modules of call routing, escalation and missing episodes: their events make up a
# contact's timeline.
ROUTING_AND_ESCALATION = (
    "domain/calls/", "domain/contacts/", "domain/escalation/", "domain/outbox/",
    "domain/outcomes/", "domain/missing/",
)  # fmt: skip


def _values(node: ast.expr, names: dict[str, list[ast.expr]]) -> Iterator[str]:
    """The strings an expression can be: constants, both arms of `a if c else b`, a name
    assigned in the module, and f"{x.channel}.sent" for each channel."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _values(node.body, names)
        yield from _values(node.orelse, names)
    elif isinstance(node, ast.Name):
        for value in names.get(node.id, []):
            yield from _values(value, names)
    elif isinstance(node, ast.JoinedStr):
        holes = [v for v in node.values if isinstance(v, ast.FormattedValue)]
        tail = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant) and v.value)
        if len(holes) == 1:
            yield from (f"{channel}{tail}" for channel in CHANNELS)
        else:  # f"{row.channel}.{status}" in outbox_sender: of LOGGED_OUTCOMES a text only
            # reaches "delivered" (the others are call states); a call's end is "ended".
            assert "delivered" in LOGGED_OUTCOMES
            yield from ("sms.delivered", "voice.ended")
    else:
        raise AssertionError(f"cannot tell which kind {ast.unparse(node)} is")


def _kind_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "kind":
            return keyword.value
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    position = {"_event": 2, "message_event": 2}.get(name)
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def written_kinds(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.setdefault(target.id, []).append(node.value)
    kinds: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in WRITERS or (name == "_event" and not node.args):
            continue
        argument = _kind_argument(node)
        if argument is not None and not (
            isinstance(argument, ast.Name) and argument.id == "kind" and name != "_event"
            and "kind" not in names
        ):  # fmt: skip
            kinds |= set(_values(argument, names))
    return kinds


def all_written_kinds() -> dict[str, set[str]]:
    found = {str(p.relative_to(ROOT)): written_kinds(p) for p in ROOT.rglob("*.py")}
    return {path: kinds for path, kinds in found.items() if kinds}


def test_the_source_scan_finds_the_kinds_we_know_are_written() -> None:
    found = all_written_kinds()
    every = set().union(*found.values())
    # A sample from each writer: if the scan stopped finding them, this test would say so.
    assert {"call.received", "call.accepted", "call.ended", "caller.hung_up", "call.duration",
            "alert.raised", "alert.escalated", "alert.acknowledged", "sms.failed", "sms.sent",
            "outcome.recorded", "outcome.amended", "outcome.link_texted", "audit.read",
            "audit.verified", "handover.prepared", "missing.opened", "missing.returned",
            "missing.interview"} <= every  # fmt: skip
    assert "call.rang" in found["domain/calls/flow.py"]


def test_every_kind_routing_and_escalation_write_is_put_into_words_on_the_timeline() -> None:
    found = all_written_kinds()
    kinds = set().union(
        *(k for path, k in found.items() if path.startswith(ROUTING_AND_ESCALATION))
    )
    assert len(kinds) >= 25, sorted(kinds)
    unworded = sorted(k for k in kinds if k not in _SENTENCES)
    assert unworded == [], f"add a sentence to describe.py for {unworded}"
    for kind in kinds:  # and the sentence copes with the details being absent (older rows)
        assert describe_event(kind, {})
