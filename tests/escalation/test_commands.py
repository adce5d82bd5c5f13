"""Parsing staff texts: what counts as a command, and what does not."""

from __future__ import annotations

import pytest

from oncall.domain.escalation import Command, outcome_category, parse_command


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ("ACK 0412", Command("ACK", "0412", "")),
        ("ack 412", Command("ACK", "0412", "")),
        ("  Ack0412 ", Command("ACK", "0412", "")),
        ("ACK", Command("ACK", None, "")),
        ("ok", Command("ACK", None, "")),
        ("ACK A17", Command("ACK", "A17", "")),
        ("DONE 0412 Rang police, NFA", Command("DONE", "0412", "Rang police, NFA")),
        ("done 0412: advice given\nto carer", Command("DONE", "0412", "advice given to carer")),
        ("DONE", Command("DONE", None, "")),
        ("MGR 0412", Command("MGR", "0412", "")),
        ("help", Command("HELP", None, "")),
        ("?", Command("HELP", None, "")),
        ("YES", Command("YES", None, "")),
        ("y", Command("YES", None, "")),
    ],
)  # fmt: skip
def test_commands(body: str, command: Command) -> None:
    assert parse_command(body) == command


@pytest.mark.parametrize(
    "body", ["", "hello", "yes I am ill tonight", "ACK 0412 thanks", "ACKNOWLEDGE", "12345"]
)
def test_not_commands(body: str) -> None:
    assert parse_command(body) is None


@pytest.mark.parametrize(
    ("note", "category"),
    [
        ("advice: told carer to call GP", "advice_given"),
        ("Visited, all fine", "visit_made"),
        ("PP taken by police", "police_protection"),
        ("nfa", "no_action"),
        ("rang the police back", "other"),
        ("", "other"),
    ],
)
def test_outcome_category_from_the_first_word(note: str, category: str) -> None:
    assert outcome_category(note) == category
