"""Every event kind is one of EventKind, written as such in the source, and put into words."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from oncall.domain.audit.describe import _SENTENCES, describe_event
from oncall.domain.chain import EventKind

ROOT = Path(__file__).resolve().parents[2] / "oncall"
# The functions that append an event, and where their kind argument sits when not by keyword.
WRITERS = {"append_event": None, "_event": 2, "message_event": 2, "episode_event": None}
CHANNELS = ("sms", "voice")  # EventKind(f"{row.channel}.sent") and the like


def _kind_argument(call: ast.Call) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "kind":
            return keyword.value
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    position = WRITERS.get(name)
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _kinds_of(node: ast.expr, names: dict[str, list[ast.expr]], params: set[str]) -> Iterator[str]:
    """The kinds an argument can be; AssertionError if it is anything but an EventKind."""
    if isinstance(node, ast.Attribute) and ast.unparse(node.value) == "EventKind":
        yield EventKind[node.attr].value
    elif isinstance(node, ast.IfExp):
        yield from _kinds_of(node.body, names, params)
        yield from _kinds_of(node.orelse, names, params)
    elif isinstance(node, ast.Name) and node.id in names:
        for value in names[node.id]:
            yield from _kinds_of(value, names, params)
    elif isinstance(node, ast.Name) and node.id in params:
        return  # a writer passing on its own `kind` parameter (typed EventKind)
    elif (
        isinstance(node, ast.Call)
        and ast.unparse(node.func) == "EventKind"
        and isinstance(node.args[0], ast.JoinedStr)
    ):
        # EventKind(f"{row.channel}.sent"), f"{row.channel}.{status}": each channel's member
        tail = "".join(str(v.value) for v in node.args[0].values if isinstance(v, ast.Constant))
        yield from (f"{channel}{tail}" for channel in CHANNELS if tail != ".")
        if tail == ".":  # the outbox's logged outcomes: a text delivered, a call ended
            yield from ("sms.delivered", "voice.ended")
    else:
        raise AssertionError(f"an event kind that is not an EventKind: {ast.unparse(node)}")


def written_kinds(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: dict[str, list[ast.expr]] = {}
    params: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            params |= {a.arg for a in node.args.args + node.args.kwonlyargs if a.arg == "kind"}
    kinds: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in WRITERS:
            continue
        argument = _kind_argument(node)
        if argument is not None:
            kinds |= set(_kinds_of(argument, names, params))
    return kinds


def all_written_kinds() -> dict[str, set[str]]:
    found = {str(p.relative_to(ROOT)): written_kinds(p) for p in ROOT.rglob("*.py")}
    return {path: kinds for path, kinds in found.items() if kinds}


def test_every_kind_the_source_writes_is_an_event_kind() -> None:
    found = all_written_kinds()
    every = set().union(*found.values())
    # A sample from each writer: if the scan stopped finding them, this test would say so.
    assert {"call.received", "call.accepted", "call.ended", "caller.hung_up", "call.duration",
            "alert.raised", "alert.escalated", "alert.acknowledged", "sms.failed", "sms.sent",
            "outcome.recorded", "outcome.amended", "outcome.link_texted", "audit.read",
            "audit.verified", "handover.prepared", "missing.opened", "missing.returned",
            "missing.interview"} <= every  # fmt: skip
    assert "call.rang" in found["domain/calls/flow.py"]
    assert every <= {kind.value for kind in EventKind}


def test_every_event_kind_is_written_somewhere() -> None:
    every = set().union(*all_written_kinds().values())
    assert sorted(kind.value for kind in EventKind if kind.value not in every) == []


def test_every_event_kind_is_put_into_words_on_the_timeline() -> None:
    assert sorted(kind for kind in EventKind if kind not in _SENTENCES) == []
    for kind in EventKind:  # and the sentence copes with the details being absent (older rows)
        assert describe_event(kind, {})
