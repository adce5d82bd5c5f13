"""Episodes: opened from a contact or the web, later nights' contacts, the alert by risk, repeats,
the return and the interview due (a DST night too), corrections, and refusals that change
nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from oncall.db.engine import Database
from oncall.db.models import Alert, Event, MissingEpisode, OutboundMessage
from oncall.domain.audit import redact_before
from oncall.domain.chain import verify_chain
from oncall.domain.escalation import claim_due, perform_step
from oncall.domain.missing import (
    EpisodeConflict,
    EpisodeInvalid,
    episode_view,
    open_episode,
    record_interview,
    record_return,
    update_episode,
    withdraw_episode,
)
from tests.e2e.conftest import publish_friday_night
from tests.missing.support import (
    RULES,
    WEB,
    by_text,
    counts,
    jan,
    local,
    person,
    police_contact,
)
from tests.support import JERSEY, load_demo_data


@pytest.fixture
async def night(database: Database) -> Database:
    """Demo data and Friday 8 Jan 2027's rota: sw002 then sw004, sm002 the senior manager."""
    await load_demo_data(database)
    await publish_friday_night(database)
    return database


async def test_a_high_risk_report_opens_an_episode_and_texts_the_senior_manager_at_once(
    night: Database,
) -> None:
    async with night.sessions() as session:
        contact = await police_contact(session, jan(8, 23, 10))
        opened = await open_episode(
            session, RULES, case_reference=" jy-204871 ", risk="HIGH",
            by=await by_text(session, "sw002"), at=jan(8, 23, 25), contact=contact,
        )  # fmt: skip
        await session.commit()
        assert (opened.joined, opened.repeat, opened.alerted) == (False, False, True)
        episode = opened.episode
        assert (episode.case_reference, episode.risk, episode.status) == (
            "JY-204871",
            "high",
            "open",
        )
        assert episode.reported_at == jan(8, 23, 10)  # the police's call, by default
        alert = await session.scalar(select(Alert).where(Alert.contact_id == contact.id))
        assert alert is not None and alert.kind == "missing_high"
        assert alert.next_action_at == jan(8, 23, 25)
        due = await claim_due(session, now=jan(8, 23, 25), limit=10)
        assert [a.id for a in due] == [alert.id]
        await perform_step(session, due[0], now=jan(8, 23, 25), zone=JERSEY)
        await session.commit()
        texts = list(await session.scalars(select(OutboundMessage)))
        sm002, sw002 = await person(session, "sm002"), await person(session, "sw002")
        assert [(m.person_id, m.channel) for m in texts] == [(sm002.id, "sms")]
        body = texts[0].body
        head = f"OOH-{contact.short_ref} Police HQ missing child, HIGH RISK, worker {sw002.name}"
        assert body.startswith(f"{head} 23:10.")
        assert "JY-204871" not in body and len(body) <= 160
        view = await episode_view(session, episode.id)
        assert view is not None and view.contacts == (contact.reference,)
        opened_event = await session.scalar(select(Event).where(Event.kind == "missing.opened"))
        assert opened_event is not None and opened_event.contact_id == contact.id
        assert opened_event.details["case_reference"] == "JY-204871"
        assert opened_event.actor == "sw002" and opened_event.details["via"] == "sms"
        assert (await verify_chain(session)).ok


@pytest.mark.parametrize(("risk", "kind"), [("medium", "missing_medium"), ("low", None)])
async def test_medium_risk_alerts_too_and_low_risk_does_not(
    night: Database, risk: str, kind: str | None
) -> None:
    async with night.sessions() as session:
        contact = await police_contact(session, jan(8, 23, 10))
        opened = await open_episode(
            session, RULES, case_reference="JY-100001", risk=risk,
            by=await by_text(session, "sw002"), at=jan(8, 23, 20), contact=contact,
        )  # fmt: skip
        await session.commit()
        kinds = list(await session.scalars(select(Alert.kind)))
    assert opened.alerted is (kind is not None)
    assert kinds == ([kind] if kind else [])


async def test_a_later_nights_call_joins_the_open_episode_and_a_higher_risk_alerts(
    night: Database,
) -> None:
    async with night.sessions() as session:
        worker = await by_text(session, "sw002")
        first = await police_contact(session, jan(8, 23, 10))
        opened = await open_episode(
            session, RULES, case_reference="JY-100002", risk="low", by=worker,
            at=jan(8, 23, 20), contact=first,
        )  # fmt: skip
        second = await police_contact(session, jan(9, 22, 0))
        same = await open_episode(
            session, RULES, case_reference="JY-100002", risk="low", by=worker,
            at=jan(9, 22, 10), contact=second,
        )  # fmt: skip
        third = await police_contact(session, jan(10, 1, 0))
        higher = await open_episode(
            session, RULES, case_reference="jy-100002", risk="high", by=worker,
            at=jan(10, 1, 5), contact=third,
        )  # fmt: skip
        await session.commit()
        episodes = list(await session.scalars(select(MissingEpisode)))
        view = await episode_view(session, opened.episode.id)
        kinds = list(await session.scalars(select(Alert.kind)))
        events = list(
            await session.scalars(
                select(Event.kind).where(Event.kind.like("missing.%")).order_by(Event.seq)
            )
        )
    assert len(episodes) == 1 and episodes[0].risk == "high"
    assert (same.joined, same.alerted, higher.joined, higher.alerted) == (True, False, True, True)
    assert view is not None and view.contacts == (
        first.reference,
        second.reference,
        third.reference,
    )
    assert view.reported_at == jan(8, 23, 10)  # the episode spans the nights
    assert kinds == ["missing_high"]
    assert events == ["missing.opened", "missing.contact_added", "missing.contact_added"]


async def test_refusals_name_the_field_and_change_nothing(night: Database) -> None:
    async with night.sessions() as session:
        contact = await police_contact(session, jan(8, 23, 10))
        await session.commit()
        before = await counts(session)
        worker = await by_text(session, "sw002")
        bad: list[tuple[dict[str, object], str]] = [
            ({"case_reference": "Lucy Smith"}, "case_reference"),
            ({"case_reference": "JY-1234567890123"}, "case_reference"),
            ({"case_reference": ""}, "case_reference"),
            ({"risk": "severe"}, "risk"),
            ({"missing_from": "grandma's"}, "missing_from"),
            ({"reported_at": jan(9, 0, 0)}, "reported_at"),  # after `at`: the future
            ({"notes": "x" * 4001}, "notes"),
        ]
        for change, field in bad:
            values: dict[str, object] = {"case_reference": "JY-100003", "risk": "high", **change}
            with pytest.raises(EpisodeInvalid) as caught:
                await open_episode(
                    session, RULES, by=worker, at=jan(8, 23, 20), contact=contact,
                    **values,  # type: ignore[arg-type]
                )  # fmt: skip
            assert caught.value.field == field
            assert "Lucy" not in str(caught.value)  # what was typed is never repeated
        await session.rollback()
        assert await counts(session) == before


async def test_the_web_cannot_open_a_second_episode_of_an_open_case(night: Database) -> None:
    async with night.sessions() as session:
        await open_episode(
            session, RULES, case_reference="JY-100004", risk="medium", by=WEB, at=jan(8, 12, 0)
        )
        await session.commit()
        before = await counts(session)
        with pytest.raises(EpisodeConflict, match="already has an open episode"):
            await open_episode(
                session, RULES, case_reference="JY-100004", risk="low", by=WEB, at=jan(8, 13, 0)
            )
        await session.rollback()
        assert await counts(session) == before
        # and the database itself holds one open episode per case, whoever writes
        session.add(
            MissingEpisode(
                case_reference="JY-100004", risk="low", status="open", reported_at=jan(8, 13, 0),
                opened_at=jan(8, 13, 0), opened_by="x", opened_via="web", updated_at=jan(8, 13, 0),
            )
        )  # fmt: skip
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_a_case_with_another_episode_in_the_30_days_before_is_a_repeat(
    night: Database,
) -> None:
    async with night.sessions() as session:

        async def episode(case: str, reported: int, back: int | None) -> bool:
            opened = await open_episode(
                session, RULES, case_reference=case, risk="low", by=WEB,
                at=jan(reported, 21, 0), reported_at=jan(reported, 20, 0),
            )  # fmt: skip
            if back is not None:
                await record_return(
                    session, RULES, opened.episode, returned_at=jan(back, 2, 0), by=WEB,
                    at=jan(back, 2, 0),
                )  # fmt: skip
            return opened.repeat

        assert not await episode("JY-200001", 1, 2)
        assert await episode("JY-200001", 31, None)  # 30 days after the first: a repeat
        assert not await episode("JY-200002", 1, 2)
        withdrawn = await open_episode(
            session, RULES, case_reference="JY-200003", risk="low", by=WEB, at=jan(1, 21, 0)
        )
        await withdraw_episode(
            session, withdrawn.episode.id, reason="wrong case", by=WEB, at=jan(1, 22, 0)
        )
        assert not await episode("JY-200003", 5, None)  # a withdrawn episode does not count
        await session.commit()
    async with night.sessions() as session:
        late = await open_episode(
            session, RULES, case_reference="JY-200002", risk="low", by=WEB,
            at=local(2027, 2, 1, 21, 0), reported_at=local(2027, 2, 1, 20, 1),
        )  # fmt: skip
        assert not late.repeat  # 31 days and a minute after the last


async def test_found_on_a_dst_night_counts_real_hours_and_the_interview_is_due_72_hours_later(
    night: Database,
) -> None:
    async with night.sessions() as session:
        worker = await by_text(session, "sw002")
        # The clocks go forward at 01:00 GMT on Sunday 28 March 2027.
        contact = await police_contact(session, local(2027, 3, 27, 23, 10))
        opened = await open_episode(
            session, RULES, case_reference="JY-300001", risk="medium", by=worker,
            at=local(2027, 3, 27, 23, 20), contact=contact,
        )  # fmt: skip
        back = local(2027, 3, 28, 2, 40)  # BST: 01:40 UTC
        await record_return(session, RULES, opened.episode, returned_at=back, by=worker, at=back)
        # Returned before the change, due after it: 72 real hours is 03:40 on the clock.
        spring = await open_episode(
            session, RULES, case_reference="JY-300002", risk="low", by=WEB,
            at=local(2027, 3, 26, 1, 0), reported_at=local(2027, 3, 25, 22, 0),
        )  # fmt: skip
        await record_return(
            session, RULES, spring.episode, returned_at=local(2027, 3, 26, 2, 40), by=WEB,
            at=local(2027, 3, 26, 3, 0),
        )  # fmt: skip
        await session.commit()
        view = await episode_view(session, opened.episode.id)
        other = await episode_view(session, spring.episode.id)
    assert view is not None and view.missing_for == timedelta(hours=2, minutes=30)
    assert view.interview_due_at is not None
    assert view.interview_due_at - view.returned_at == timedelta(hours=72)  # type: ignore[operator]
    assert view.interview_due_at.astimezone(JERSEY).strftime("%a %d %b %H:%M") == "Wed 31 Mar 02:40"
    assert other is not None and other.interview_due_at is not None
    assert (
        other.interview_due_at.astimezone(JERSEY).strftime("%a %d %b %H:%M") == "Mon 29 Mar 03:40"
    )


async def test_the_return_and_the_interview_follow_their_rules(night: Database) -> None:
    async with night.sessions() as session:
        opened = await open_episode(
            session, RULES, case_reference="JY-400001", risk="low", by=WEB, at=jan(8, 22, 0),
            reported_at=jan(8, 21, 0),
        )  # fmt: skip
        episode_id = opened.episode.id
        with pytest.raises(EpisodeConflict, match="record the return first"):
            await record_interview(
                session, episode_id, step="offered", on=jan(8, 22, 0), by=WEB, at=jan(8, 22, 0)
            )
        with pytest.raises(EpisodeInvalid) as before_report:
            await record_return(
                session, RULES, opened.episode, returned_at=jan(8, 20, 0), by=WEB, at=jan(8, 22, 0)
            )
        assert before_report.value.field == "returned_at"
        await record_return(
            session, RULES, opened.episode, returned_at=jan(9, 2, 40), by=WEB, at=jan(9, 3, 0),
            place="placement",
        )  # fmt: skip
        with pytest.raises(EpisodeConflict, match="returned"):
            await record_return(
                session, RULES, opened.episode, returned_at=jan(9, 3, 0), by=WEB, at=jan(9, 3, 0)
            )
        refused = [
            ("visited", jan(9, 10, 0), "interview"),
            ("offered", jan(9, 1, 0), "interview_date"),  # before the return
            ("offered", jan(9, 12, 0), "interview_date"),  # after `at`: the future
        ]
        for step, on, field in refused:
            with pytest.raises(EpisodeInvalid) as caught:
                await record_interview(
                    session, episode_id, step=step, on=on, by=WEB, at=jan(9, 11, 0)
                )
            assert caught.value.field == field
        await record_interview(
            session, episode_id, step="offered", on=jan(9, 10, 0), by=WEB, at=jan(9, 11, 0)
        )
        with pytest.raises(EpisodeConflict, match="already recorded as offered"):
            await record_interview(
                session, episode_id, step="offered", on=jan(9, 10, 30), by=WEB, at=jan(9, 11, 0)
            )
        with pytest.raises(EpisodeInvalid, match="before the interview was offered"):
            await record_interview(
                session, episode_id, step="completed", on=jan(9, 9, 0), by=WEB, at=jan(11, 9, 0)
            )
        await record_interview(
            session, episode_id, step="completed", on=jan(11, 14, 0), by=WEB, at=jan(11, 15, 0)
        )
        with pytest.raises(EpisodeConflict, match="already recorded as completed"):
            await record_interview(
                session, episode_id, step="declined", on=jan(11, 15, 0), by=WEB, at=jan(11, 15, 0)
            )
        await session.commit()
        view = await episode_view(session, episode_id)
        steps = [
            e.details["step"]
            for e in await session.scalars(select(Event).where(Event.kind == "missing.interview"))
        ]
    assert view is not None and view.offered_in_time and not view.interview_task
    assert (view.interview_offered_at, view.interview_result) == (jan(9, 10, 0), "completed")
    assert view.return_place == "placement"
    assert steps == ["offered", "completed"]


async def test_corrections_are_logged_field_by_field_and_a_raised_risk_alerts(
    night: Database,
) -> None:
    async with night.sessions() as session:
        contact = await police_contact(session, jan(8, 23, 10))
        opened = await open_episode(
            session, RULES, case_reference="JY-500001", risk="low",
            by=await by_text(session, "sw002"), at=jan(8, 23, 20), contact=contact,
        )  # fmt: skip
        await open_episode(
            session, RULES, case_reference="JY-500002", risk="low", by=WEB, at=jan(8, 23, 30)
        )
        episode_id = opened.episode.id
        with pytest.raises(EpisodeConflict, match="already has an open episode"):
            await update_episode(
                session, RULES, episode_id, by=WEB, at=jan(9, 9, 0), case_reference="JY-500002"
            )
        with pytest.raises(EpisodeInvalid) as not_back:
            await update_episode(
                session, RULES, episode_id, by=WEB, at=jan(9, 9, 0), return_place="home"
            )
        assert not_back.value.field == "returned_at"
        await update_episode(
            session, RULES, episode_id, by=WEB, at=jan(9, 9, 0), risk="high",
            missing_from="foster_placement", reported_at=jan(8, 22, 45), notes="Seen near park",
        )  # fmt: skip
        same = await update_episode(
            session, RULES, episode_id, by=WEB, at=jan(9, 9, 5), risk="high"
        )
        await session.commit()
        updated = list(await session.scalars(select(Event).where(Event.kind == "missing.updated")))
        alerts = list(await session.scalars(select(Alert.kind)))
    assert same.risk == "high"
    assert len(updated) == 1  # the second changed nothing: no event
    changes = updated[0].details["changes"]
    assert changes["risk"] == ["low", "high"]
    assert changes["missing_from"] == [None, "foster_placement"]
    assert changes["reported_at"] == [jan(8, 23, 10).isoformat(), jan(8, 22, 45).isoformat()]
    assert set(changes) == {"risk", "missing_from", "reported_at", "notes"}
    assert updated[0].actor == "coordinator" and updated[0].actor_type == "user"
    assert alerts == ["missing_high"]


async def test_a_withdrawn_episode_leaves_the_lists_and_frees_its_case(night: Database) -> None:
    async with night.sessions() as session:
        opened = await open_episode(
            session, RULES, case_reference="JY-600001", risk="low", by=WEB, at=jan(8, 12, 0)
        )
        with pytest.raises(EpisodeInvalid):
            await withdraw_episode(session, opened.episode.id, reason=" ", by=WEB, at=jan(8, 13, 0))
        await withdraw_episode(
            session, opened.episode.id, reason="opened in error", by=WEB, at=jan(8, 13, 0)
        )
        with pytest.raises(EpisodeConflict):
            await update_episode(
                session, RULES, opened.episode.id, by=WEB, at=jan(8, 14, 0), risk="high"
            )
        again = await open_episode(
            session, RULES, case_reference="JY-600001", risk="low", by=WEB, at=jan(8, 14, 0)
        )
        await session.commit()
    assert again.episode.id != opened.episode.id and not again.repeat


async def test_retention_blanks_the_notes_of_old_episodes_no_longer_open(night: Database) -> None:
    async with night.sessions() as session:
        back = await open_episode(
            session, RULES, case_reference="JY-800001", risk="low", by=WEB, at=jan(1, 22, 0),
            notes="Seen at the harbour",
        )  # fmt: skip
        await record_return(
            session, RULES, back.episode, returned_at=jan(2, 1, 0), by=WEB, at=jan(2, 1, 0)
        )
        still = await open_episode(
            session, RULES, case_reference="JY-800002", risk="low", by=WEB, at=jan(1, 23, 0),
            notes="Known to visit a friend",
        )  # fmt: skip
        result = await redact_before(session, before=jan(5, 0, 0), at=jan(30, 9, 0))
        await session.commit()
        notes = dict((await session.execute(select(MissingEpisode.id, MissingEpisode.notes))).all())
    assert result.episodes == 1
    assert notes == {back.episode.id: "", still.episode.id: "Known to visit a friend"}
