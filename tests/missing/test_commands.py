"""MISSING and FOUND by text, through the inbound SMS handler: only from the contact's worker,
clear replies, a reply naming what is wrong that changes nothing, never a case reference."""

from __future__ import annotations

from datetime import datetime
from itertools import count

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import CallLeg, Contact, InboundMessage, MissingEpisode, Person
from oncall.domain.escalation import handle_inbound_sms
from oncall.domain.missing import MissingCommands, parse_missing_text
from oncall.domain.missing.commands import MissingText
from tests.e2e.conftest import publish_friday_night
from tests.missing.support import RULES, counts, jan, person, police_contact
from tests.support import JERSEY, load_demo_data

LINE = "+441534700101"
CASE = "JY-204871"
_SIDS = count(1)


@pytest.mark.parametrize(
    ("body", "parsed"),
    [
        ("MISSING 0042 JY-204871 high", MissingText("MISSING", "0042", CASE, "high")),
        ("missing 42 jy-204871 HIGH", MissingText("MISSING", "0042", "jy-204871", "high")),
        ("Missing 0042, JY-204871, med, foster",
         MissingText("MISSING", "0042", CASE, "medium", "foster_placement")),
        ("FOUND 0042", MissingText("FOUND", "0042", "", "")),
        ("returned 0042 JY-204871", MissingText("FOUND", "0042", CASE, "")),
    ],
)  # fmt: skip
def test_texts_read_as_commands(body: str, parsed: MissingText) -> None:
    assert parse_missing_text(body) == parsed


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("MISSING", "Send MISSING <ref> <case ref> <high|medium|low>"),
        ("MISSING 0042", "give the case reference and the risk"),
        ("MISSING 0042 JY-204871", "give the case reference and the risk"),
        ("MISSING abc JY-204871 high", "is not a contact reference"),
        ("MISSING 12345 JY-204871 high", "is not a contact reference"),
        ("MISSING 0042 JY-204871 severe", "the risk must be high, medium or low"),
        ("MISSING 0042 JY-204871 high auntie", "from must be home, foster or residential"),
        ("MISSING 0042 Lucy Smith high", "the risk must be"),
        ("MISSING 0042 Lucy Smith high home", "too many words"),
        ("MISSING 0042 JY-204871 high home now", "too many words"),
        ("FOUND", "Send FOUND <ref>"),
        ("FOUND 0042 JY-204871 extra", "Send FOUND <ref>"),
    ],
)
def test_a_malformed_text_gets_a_reply_naming_what_is_wrong(body: str, said: str) -> None:
    reply = parse_missing_text(body)
    assert isinstance(reply, str) and said in reply, reply
    assert len(reply) <= 160 and "Lucy" not in reply and "JY-" not in reply


@settings(max_examples=300, deadline=None, database=None)
@given(st.sampled_from(["MISSING", "FOUND", "RETURNED", "missing"]), st.text(max_size=200))
@example("MISSING", "\x00 \u0664\u0662 x high")
def test_any_text_after_the_verb_is_a_command_or_a_reply(verb: str, rest: str) -> None:
    parsed = parse_missing_text(f"{verb} {rest}")
    if isinstance(parsed, str):
        assert parsed and len(parsed) <= 160
    else:
        assert parsed.ref.isdigit() and len(parsed.ref) == 4
        assert parsed.verb in ("MISSING", "FOUND")


@pytest.fixture
async def night(database: Database) -> Database:
    await load_demo_data(database)
    await publish_friday_night(database)
    return database


async def _text(database: Database, code: str, body: str, now: datetime) -> str:
    async with database.sessions() as session:
        sender = await person(session, code)
        reply = await handle_inbound_sms(
            session, sid=f"SM{next(_SIDS):032d}", from_=sender.phone, to=LINE, body=body,
            now=now, zone=JERSEY, junk_per_hour=5, more=MissingCommands(RULES),
        )  # fmt: skip
        await session.commit()
    return reply


async def _contact(database: Database, at: datetime, worker: str | None = "sw002") -> Contact:
    async with database.sessions() as session:
        contact = await police_contact(session, at, worker=worker)
        await session.commit()
    return contact


async def test_missing_then_found_from_the_worker_on_the_contact(night: Database) -> None:
    contact = await _contact(night, jan(8, 23, 10))
    ref = contact.short_ref
    reply = await _text(night, "sw002", f"MISSING {ref} {CASE.lower()} high", jan(8, 23, 25))
    async with night.sessions() as session:
        manager = await person(session, "sm002")
    assert reply == (
        f"{ref}: missing episode recorded, HIGH risk, reported 23:10. {manager.name} (senior "
        f"manager) alerted. Reply FOUND {ref} when back."
    )
    found = await _text(night, "sw002", f"found {ref}", jan(9, 2, 40))
    assert found == (
        f"{ref}: return recorded at 02:40. Return home interview due by Tue 12 Jan 02:40; the "
        "day team is told. Thank you."
    )
    async with night.sessions() as session:
        episode = (await session.scalars(select(MissingEpisode))).one()
        stored = list(await session.scalars(select(InboundMessage.reply)))
    assert (episode.case_reference, episode.status) == (CASE, "returned")
    assert episode.returned_at == jan(9, 2, 40) and episode.interview_due_at == jan(12, 2, 40)
    assert stored == [reply, found]  # stored, so a retried webhook gets the same answer
    assert CASE not in reply + found and CASE.lower() not in reply + found


async def test_a_phone_rung_for_the_contact_may_report_it_another_may_not(
    night: Database,
) -> None:
    contact = await _contact(night, jan(8, 23, 10), worker=None)
    async with night.sessions() as session:
        sw004 = await person(session, "sw004")
        session.add(
            CallLeg(
                contact_id=contact.id, attempt=1, person_id=sw004.id, number=sw004.phone,
                role="duty worker", result="no_answer", rung_at=jan(8, 23, 10),
            )
        )  # fmt: skip
        await session.commit()
        before = await counts(session)
    refused = await _text(
        night, "sw010", f"MISSING {contact.short_ref} {CASE} high", jan(8, 23, 20)
    )
    assert refused.startswith(f"Sorry, {contact.short_ref} is not a contact you were called")
    assert refused.endswith("Nothing recorded.")
    async with night.sessions() as session:
        assert await counts(session) == before
    done = await _text(night, "sw004", f"MISSING {contact.short_ref} {CASE} low", jan(8, 23, 21))
    assert done.startswith(f"{contact.short_ref}: missing episode recorded, low risk")
    assert "alerted" not in done  # low risk: the pack, not the senior manager


async def test_bad_input_gets_a_clear_reply_and_changes_nothing(night: Database) -> None:
    contact = await _contact(night, jan(8, 23, 10))
    ref = contact.short_ref
    async with night.sessions() as session:
        before = await counts(session)
    cases = [
        ("MISSING 0999 JY-204871 high", "MISSING: no contact 0999. Check the reference"),
        (f"MISSING {ref} 12-AB high", f"MISSING {ref}: case reference not in the expected form"),
        (f"MISSING {ref} JY-204871 severe", f"MISSING {ref}: the risk must be high, medium or low"),
        (f"FOUND {ref}", f"FOUND {ref}: no child is recorded missing on {ref}. Nothing changed."),
        ("FOUND 0999", "FOUND: no contact 0999"),
    ]
    for body, said in cases:
        reply = await _text(night, "sw002", body, jan(8, 23, 20))
        assert reply.startswith(said), (body, reply)
        assert "12-AB" not in reply
    async with night.sessions() as session:
        assert await counts(session) == before


async def test_found_twice_says_it_was_recorded_and_changes_nothing(night: Database) -> None:
    contact = await _contact(night, jan(8, 23, 10))
    ref = contact.short_ref
    await _text(night, "sw002", f"MISSING {ref} {CASE} medium home", jan(8, 23, 25))
    await _text(night, "sw002", f"FOUND {ref}", jan(9, 2, 40))
    async with night.sessions() as session:
        before = await counts(session)
    again = await _text(night, "sw002", f"FOUND {ref}", jan(9, 3, 15))
    assert again == f"FOUND {ref}: the return was already recorded at 02:40. Nothing changed."
    async with night.sessions() as session:
        assert await counts(session) == before
        episode = (await session.scalars(select(MissingEpisode))).one()
    assert episode.returned_at == jan(9, 2, 40) and episode.missing_from == "home"


async def test_two_children_on_one_call_need_the_case_reference_to_be_found(
    night: Database,
) -> None:
    contact = await _contact(night, jan(8, 23, 10))
    ref = contact.short_ref
    await _text(night, "sw002", f"MISSING {ref} JY-000001 high", jan(8, 23, 20))
    await _text(night, "sw002", f"MISSING {ref} JY-000002 high", jan(8, 23, 21))
    which = await _text(night, "sw002", f"FOUND {ref}", jan(9, 1, 0))
    assert which.startswith(f"FOUND {ref}: 2 children are missing on {ref}; send FOUND {ref} <")
    one = await _text(night, "sw002", f"FOUND {ref} jy-000002", jan(9, 1, 5))
    assert one.startswith(f"{ref}: return recorded at 01:05")
    async with night.sessions() as session:
        states = dict(
            (
                await session.execute(select(MissingEpisode.case_reference, MissingEpisode.status))
            ).all()
        )
    assert states == {"JY-000001": "open", "JY-000002": "returned"}


async def test_a_later_nights_contact_joins_the_episode_by_text(night: Database) -> None:
    first = await _contact(night, jan(8, 23, 10))
    await _text(night, "sw002", f"MISSING {first.short_ref} {CASE} medium", jan(8, 23, 25))
    second = await _contact(night, jan(9, 22, 5), worker="sw004")
    joined = await _text(night, "sw004", f"MISSING {second.short_ref} {CASE} high", jan(9, 22, 15))
    assert joined.startswith(
        f"{second.short_ref} added to the missing episode open since Fri 08 Jan 23:10 (HIGH risk)."
    )
    # The risk went up, so the managers are told; Saturday night has no rota in this test.
    assert "No senior manager on call: all managers alerted." in joined
    found = await _text(night, "sw004", f"FOUND {second.short_ref}", jan(10, 4, 0))
    assert found.startswith(f"{second.short_ref}: return recorded at 04:00")
    async with night.sessions() as session:
        episode = (await session.scalars(select(MissingEpisode))).one()
    assert episode.risk == "high" and episode.returned_recorded_by == "sw004"


async def test_a_staff_text_that_is_not_ours_still_reaches_ack_and_done(night: Database) -> None:
    reply = await _text(night, "sw002", "HELP", jan(8, 23, 0))
    assert reply.startswith("OOH commands: ACK 0412")
    async with night.sessions() as session:
        assert (await session.scalars(select(Person).where(Person.code == "sw002"))).one()
