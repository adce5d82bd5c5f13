"""The staff SMS command parser on any text: a command or None, never an exception; round trips."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from oncall.domain.escalation import VERBS, Command, parse_command

REF = re.compile(r"^(A\d{1,9}|\d{4,})$")  # \d: the parser accepts any Unicode digit (harmless)
WORDS = st.text(
    alphabet=st.characters(categories=["L", "N", "P", "Zs"], exclude_characters=".:,-"),
    min_size=1,
    max_size=80,
)


@settings(max_examples=400, deadline=None, database=None)
@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("utf-8", "replace"))))
@example("")
@example("\x00ACK 0412")
@example("ACK \u0664\u0661\u0662")  # Arabic-Indic digits
@example("\u212aCK")  # KELVIN SIGN, which re.I folds to k
@example("DONE 0412 " + "x" * 5000)
def test_any_text_is_a_command_or_none(body: str) -> None:
    command = parse_command(body)
    if command is None:
        return
    assert command.verb in VERBS
    assert command.ref is None or REF.match(command.ref), command.ref
    assert len(command.rest) <= 1000
    assert command.rest == " ".join(command.rest.split())  # one line, no stray spaces
    if command.verb in ("HELP", "YES"):
        assert command.ref is None and not command.rest
    if command.verb in ("ACK", "MGR"):
        assert not command.rest


def _refs() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(0, 9999).map(lambda n: f"{n:04d}"),
        st.integers(1, 999_999_999).map(lambda n: f"A{n}"),
    )


def _notes() -> st.SearchStrategy[str]:
    # A note starts with a letter (a leading number would be read as the reference).
    return st.tuples(st.sampled_from("abcdefghRNFA"), WORDS).map(
        lambda t: " ".join((t[0] + t[1]).split())[:1000]
    )


def _spellings(verb: str) -> st.SearchStrategy[str]:
    aliases = {"ACK": ["ACK", "ack", "Ok", "accept"], "DONE": ["DONE", "done", "Resolved"]}
    aliases |= {"HELP": ["HELP", "help", "?"], "YES": ["YES", "y", "Yes"], "MGR": ["MGR", "mgr"]}
    return st.sampled_from(aliases[verb])


@settings(max_examples=300, deadline=None, database=None)
@given(
    data=st.data(),
    verb=st.sampled_from(VERBS),
    gap=st.sampled_from([" ", "  ", "\n", " : ", ", ", " - ", "\t"]),
    outer=st.sampled_from(["", " ", "\n", "  \t"]),
)
def test_a_written_command_reads_back_as_itself(
    data: st.DataObject, verb: str, gap: str, outer: str
) -> None:
    ref = data.draw(st.none() | _refs()) if verb in ("ACK", "DONE", "MGR") else None
    rest = data.draw(_notes()) if verb == "DONE" else ""
    if rest and ref is None:
        ref = data.draw(_refs())  # DONE with a note but no reference reads the note's start
    spelled = data.draw(_spellings(verb))
    parts = [spelled, *([ref] if ref else []), *([rest] if rest else [])]
    body = outer + " ".join(parts[:1]) + (" " if ref else gap) + gap.join(parts[1:]) + outer
    assert parse_command(body) == Command(verb, ref, rest), body


@settings(max_examples=200, deadline=None, database=None)
@given(verb=st.sampled_from(("HELP", "YES")), extra=WORDS)
@example(verb="HELP", extra="\xa0")  # a no-break space is no word (a failure once seen in CI)
@example(verb="YES", extra="\u3000 -")
def test_help_and_yes_with_more_words_are_not_commands(verb: str, extra: str) -> None:
    # "yes I am ill tonight" must not confirm a shift. Only a real word counts: the parser reads
    # any Unicode space (a no-break space included) and the separators .:,- as nothing.
    if not re.sub(r"[\s.:,-]", "", extra):
        return
    assert parse_command(f"{verb} {extra}") is None
