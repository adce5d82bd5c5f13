"""docs/deploy.md stays true to the code: its `oncall` commands exist and its links resolve."""

from __future__ import annotations

import argparse
import re

from oncall.cli import build_parser
from tests.deploy.files import ROOT

GUIDE = ROOT / "docs" / "deploy.md"
# Words that may come before `oncall` on a command line: a shell separator or sudo.
LEADERS = {"sudo", "&&", "||", ";", "|", "$"}
ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=\S*$")


def _commands() -> dict[str, set[str]]:
    """Each top-level command and its subcommands (empty for a command without any)."""
    commands: dict[str, set[str]] = {}
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, parser in action.choices.items():
                groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
                commands[name] = set(groups[0].choices) if groups else set()
    return commands


def _code() -> list[str]:
    """Every fenced code line and every inline code span of the guide."""
    text = GUIDE.read_text(encoding="utf-8")
    fenced = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    lines = [line for block in fenced for line in block.splitlines()]
    outside = re.sub(r"^```[a-z]*\n.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)
    return lines + re.findall(r"`([^`\n]+)`", outside)


def _invocations() -> list[list[str]]:
    """The words after each `oncall` that starts a command (not `-g oncall`, not a path)."""
    found = []
    for snippet in _code():
        words = snippet.split()
        for index, word in enumerate(words):
            before = words[index - 1] if index else ""
            leads = not before or before in LEADERS or ASSIGNMENT.match(before)
            # `oncall` alone is a name (the nginx log format, the role), not a command line.
            if word == "oncall" and leads and index + 1 < len(words):
                found.append(words[index + 1 : index + 3])
    return found


def test_every_oncall_command_in_the_guide_exists() -> None:
    commands = _commands()
    invocations = _invocations()
    assert len(invocations) >= 10, "the guide's commands were not found"
    for words in invocations:
        assert words and words[0] in commands, f"`oncall {' '.join(words)}`: no such command"
        subcommands = commands[words[0]]
        if subcommands:
            assert len(words) > 1 and words[1] in subcommands, (
                f"`oncall {' '.join(words)}`: {words[0]} has {sorted(subcommands)}"
            )


def _slug(heading: str) -> str:
    # GitHub's anchors: lower case, punctuation dropped, spaces to hyphens.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_links_and_anchors_in_the_guide_resolve() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    anchors = {_slug(h) for h in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    for link in links:
        if link.startswith("#"):
            assert link[1:] in anchors, f"no heading for {link}"
        elif not link.startswith(("http://", "https://")):
            assert (GUIDE.parent / link.split("#")[0]).exists(), f"{link} does not exist"
