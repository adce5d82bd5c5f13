"""Outcomes: the signed mobile link, record_outcome for DONE SMS, and the no-outcome reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from oncall import keys
from oncall.db.models import Alert, Contact, Event, Person
from oncall.domain.chain import verify_chain
from oncall.domain.escalation import remind_missing_outcomes
from oncall.domain.outcomes import (
    BadLink,
    OutcomeError,
    outcome_link,
    read_outcome_token,
    record_outcome,
)
from tests.audit.conftest import anonymous, place_calls
from tests.e2e.conftest import FRIDAY_NIGHT, Service
from tests.e2e.test_escalation_support import tick


async def _first_contact(service: Service) -> tuple[Contact, Person]:
    async with service.database.sessions() as session:
        contact = (await session.scalars(select(Contact).order_by(Contact.id))).first()
        assert contact is not None and contact.handled_by_id is not None
        person = await session.get(Person, contact.handled_by_id)
        assert person is not None
    return contact, person


async def test_the_worker_records_the_outcome_from_the_signed_link(service: Service) -> None:
    await place_calls(service)
    contact, person = await _first_contact(service)
    secret = service.app[keys.SIGNING_KEY]
    link = outcome_link(
        secret, service.settings.public_url, contact.id, person.id,
        service.clock.now() + timedelta(hours=12),
    )  # fmt: skip
    path = link.removeprefix(service.settings.public_url)
    assert contact.reference not in link and person.phone not in link
    phone = anonymous(service)  # not signed in: the link is the authority
    try:
        page = await phone.get(path)
        assert page.status == 200
        assert contact.reference in await page.text()
        saved = await phone.post(
            path,
            data={
                "category": "visit_made",
                "notes": "Visited with police.",
                "agencies": ["police", "bogus"],
                "case_reference": "CS-1234",
                "follow_up": "1",
            },
        )
        assert saved.status == 200 and "Saved" in await saved.text()
        bad = await phone.post(path, data={"category": "teleported"})
        assert bad.status == 400
        forged = await phone.get(path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"))
        assert forged.status == 410
        await service.clock.advance(13 * 3600)
        expired = await phone.get(path)
        assert expired.status == 410 and "expired" in await expired.text()
    finally:
        await phone.close()
    async with service.database.sessions() as session:
        stored = await session.get(Contact, contact.id)
        assert stored is not None
        assert (stored.outcome, stored.agencies_informed, stored.case_reference) == (
            "visit_made", ["police"], "CS-1234",
        )  # fmt: skip
        assert stored.day_team_follow_up and stored.status == "closed"
        event = await session.scalar(
            select(Event).where(Event.contact_id == contact.id, Event.kind == "outcome.recorded")
        )
        assert event is not None and event.actor == person.code
        assert event.details["via"] == "link"
        assert (await verify_chain(session)).ok


def test_tokens_are_signed_and_expire() -> None:
    secret = b"s" * 32
    at = FRIDAY_NIGHT
    link = outcome_link(secret, "https://oncall.example/", 7, 3, at + timedelta(hours=1))
    token = link.rsplit("/", 1)[1]
    grant = read_outcome_token(secret, token, now=at)
    assert (grant.contact_id, grant.person_id) == (7, 3)
    with pytest.raises(BadLink):
        read_outcome_token(b"x" * 32, token, now=at)
    with pytest.raises(BadLink) as expired:
        read_outcome_token(secret, token, now=at + timedelta(hours=2))
    assert expired.value.expired
    with pytest.raises(BadLink):
        read_outcome_token(secret, "nonsense", now=at)


async def test_done_by_sms_amends_and_reminders_go_to_contacts_without_outcome(
    service: Service,
) -> None:
    await place_calls(service)
    contact, person = await _first_contact(service)
    at = service.clock.now()
    async with service.database.sessions() as session:
        first = await record_outcome(
            session, contact.id, person_id=person.id, category="advice_given", at=at, via="sms"
        )
        again = await record_outcome(
            session, contact.id, person_id=person.id, category="referred_to_day_team", at=at
        )
        with pytest.raises(OutcomeError):
            await record_outcome(session, contact.id, person_id=person.id, category="x", at=at)
        await session.commit()
    assert not first.amended and again.amended
    async with service.database.sessions() as session:
        reminded = await remind_missing_outcomes(
            session, received_from=at - timedelta(hours=6), received_to=at + timedelta(hours=1),
            at=at + timedelta(hours=10),
        )  # fmt: skip
        await session.commit()
        twice = await remind_missing_outcomes(
            session, received_from=at - timedelta(hours=6), received_to=at + timedelta(hours=1),
            at=at + timedelta(hours=10),
        )  # fmt: skip
        contacts = list(await session.scalars(select(Contact).order_by(Contact.id)))
        alerts = list(await session.scalars(select(Alert).where(Alert.kind == "no_outcome")))
        stored = contacts[0]
    assert stored.day_team_follow_up  # referred to the day team implies follow-up
    # The second call was answered and has no outcome; the third (missed) has its own open alert.
    assert reminded == [contacts[1].reference]
    assert twice == []
    assert [a.contact_id for a in alerts] == [contacts[1].id]


async def test_done_by_text_records_the_outcome_of_an_answered_call(service: Service) -> None:
    # The text sent when an answered call ends says "Record the outcome: <link> or reply DONE
    # 0412 <note>": the reply records it although the call raised no alert.
    await place_calls(service)
    contact, person = await _first_contact(service)
    await tick(service)  # the sender hands the after-call text to Twilio
    texts = service.fake.phones.inboxes[person.phone]
    assert any(f"OOH-{contact.short_ref} call ended" in m.body for m in texts)
    replies = await service.fake.send_inbound_sms(
        from_=person.phone, to=service.lines["police"],
        body=f"DONE {contact.short_ref} advice given to the officer",
    )  # fmt: skip
    assert replies[0].body.startswith(f"{contact.short_ref} closed at "), replies[0].body
    async with service.database.sessions() as session:
        stored = await session.get(Contact, contact.id)
        assert stored is not None and stored.outcome == "advice_given"
        assert stored.outcome_notes == "advice given to the officer"
    # A second DONE adds its words as an amendment the log shows, not behind its back.
    await service.fake.send_inbound_sms(
        from_=person.phone, to=service.lines["police"],
        body=f"DONE {contact.short_ref} called back, all settled",
    )  # fmt: skip
    async with service.database.sessions() as session:
        stored = await session.get(Contact, contact.id)
        assert stored is not None and stored.outcome == "advice_given"
        assert stored.outcome_notes == "advice given to the officer\ncalled back, all settled"
        kinds = list(
            await session.scalars(
                select(Event.kind).where(Event.contact_id == contact.id).order_by(Event.seq)
            )
        )
        assert kinds[-2:] == ["outcome.recorded", "outcome.amended"], kinds
        assert (await verify_chain(session)).ok
        reminded = await remind_missing_outcomes(
            session, received_from=contact.received_at - timedelta(hours=1),
            received_to=contact.received_at + timedelta(minutes=1),
            at=service.clock.now() + timedelta(hours=10),
        )  # fmt: skip
    assert contact.reference not in reminded  # (the second call, answered, has no outcome)
    assert reminded
