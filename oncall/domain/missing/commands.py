"""MISSING and FOUND by text, from the phone of the worker on the contact: parsed, carried out,
answered. A reply names what was wrong when nothing was done, and never repeats a case
reference: a text carries the contact's 4 digits and the risk, nothing about the child."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from oncall.db.models import (
    Alert,
    CallLeg,
    Contact,
    EpisodeContact,
    EpisodeStatus,
    MissingEpisode,
    MissingFrom,
    OutboundMessage,
    Person,
    Risk,
)
from oncall.domain.errors import DomainError
from oncall.domain.escalation import resolve_targets
from oncall.domain.missing.config import MissingConfig
from oncall.domain.missing.episodes import Actor, open_episode, record_return
from oncall.domain.missing.errors import EpisodeInvalid
from oncall.domain.texts.gsm7 import MULTI_GSM7, fit

VERBS = frozenset({"MISSING", "FOUND", "RETURNED"})  # RETURNED is FOUND by another name
_RISKS = {"high": Risk.HIGH, "h": Risk.HIGH, "medium": Risk.MEDIUM, "med": Risk.MEDIUM,
          "m": Risk.MEDIUM, "low": Risk.LOW, "l": Risk.LOW}  # fmt: skip
_PLACES = {"home": MissingFrom.HOME, "foster": MissingFrom.FOSTER_PLACEMENT,
           "placement": MissingFrom.FOSTER_PLACEMENT, "residential": MissingFrom.RESIDENTIAL_HOME,
           "resi": MissingFrom.RESIDENTIAL_HOME}  # fmt: skip
MISSING_USAGE = "Send MISSING <ref> <case ref> <high|medium|low>, e.g. MISSING 0412 <case ref> high"
FOUND_USAGE = "Send FOUND <ref>, e.g. FOUND 0412 (add the case ref if 0412 has two children)"


@dataclass(frozen=True, slots=True)
class MissingText:
    """A MISSING or FOUND text, read but not yet checked against the rules."""

    verb: str  # MISSING or FOUND
    ref: str  # the contact's 4 digits
    case_reference: str  # "" when not given (FOUND)
    risk: str  # "" for FOUND
    missing_from: str | None = None


def parse_missing_text(body: str) -> MissingText | str:
    """The command in a text, or a reply saying what is wrong with it (nothing is done then)."""
    words = body.replace(",", " ").split()
    verb = words[0].upper() if words else ""
    verb = "FOUND" if verb == "RETURNED" else verb
    usage = MISSING_USAGE if verb == "MISSING" else FOUND_USAGE
    if len(words) < 2:
        return fit(f"{usage}. Nothing recorded.")
    ref = words[1]
    if not (ref.isascii() and ref.isdigit() and len(ref) <= 4):
        return fit(f"{verb}: '{ref[:8]}' is not a contact reference (4 digits, e.g. 0412). {usage}")
    ref = ref.zfill(4)
    rest = words[2:]
    if verb == "FOUND":
        if len(rest) > 1:
            return fit(f"{usage}. Nothing recorded.")
        return MissingText("FOUND", ref, rest[0] if rest else "", "")
    if len(rest) < 2:
        return fit(f"MISSING {ref}: give the case reference and the risk. {usage}")
    if len(rest) > 3:
        return fit(f"MISSING {ref}: too many words. {usage}. Nothing recorded.")
    risk = _RISKS.get(rest[1].lower())
    if risk is None:
        return fit(f"MISSING {ref}: the risk must be high, medium or low. Nothing recorded.")
    place = None
    if len(rest) == 3:
        found = _PLACES.get(rest[2].lower())
        if found is None:
            return fit(
                f"MISSING {ref}: from must be home, foster or residential. Nothing recorded."
            )
        place = found.value
    return MissingText("MISSING", ref, rest[0], risk.value, place)


async def worked_on(session: AsyncSession, contact: Contact, person: Person) -> bool:
    """Whether `person` is a worker on the contact: took it, was rung or texted about it, or
    acknowledged one of its alerts."""
    if contact.handled_by_id == person.id:
        return True
    rung = exists().where(CallLeg.contact_id == contact.id, CallLeg.person_id == person.id)
    texted = exists().where(
        OutboundMessage.contact_id == contact.id, OutboundMessage.person_id == person.id
    )
    acked = exists().where(Alert.contact_id == contact.id, Alert.acknowledged_by_id == person.id)
    return bool(await session.scalar(select(or_(rung, texted, acked))))


def _when(at: datetime, now: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    same_day = local.date() == now.astimezone(zone).date()
    return local.strftime("%H:%M" if same_day else "%a %d %b %H:%M")


@dataclass(frozen=True, slots=True)
class MissingCommands:
    """Escalation's `MoreCommands` for missing episodes (wired in oncall.wiring)."""

    config: MissingConfig

    @property
    def verbs(self) -> frozenset[str]:
        return VERBS

    async def answer(
        self, session: AsyncSession, person: Person, body: str, *, now: datetime, zone: ZoneInfo
    ) -> str:
        """Do what the text asks, or say why not; the caller stores the reply and commits."""
        command = parse_missing_text(body)
        if isinstance(command, str):
            return command
        contact = await session.scalar(
            select(Contact)
            .where(Contact.short_ref == command.ref)
            .order_by(Contact.received_at.desc())
            .limit(1)
            .with_for_update(key_share=True)  # the contact before its episodes and alerts
        )
        if contact is None:
            return fit(
                f"{command.verb}: no contact {command.ref}. Check the reference; nothing recorded."
            )
        if not await worked_on(session, contact, person):
            return fit(
                f"Sorry, {command.ref} is not a contact you were called or texted about, so only "
                "its worker can record this. Nothing recorded."
            )
        by = Actor(person.code, "sms", person.id)
        try:
            if command.verb == "MISSING":
                return await self._missing(session, command, contact, by, now=now, zone=zone)
            return await self._found(session, command, contact, by, now=now, zone=zone)
        except DomainError as exc:  # every check runs before anything is written
            if isinstance(exc, EpisodeInvalid):
                said = f"{exc.field.replace('_', ' ')} {exc.problem}"
            else:
                said = str(exc)
            return fit(f"{command.verb} {command.ref}: {said}. Nothing recorded.")

    async def _missing(
        self, session: AsyncSession, command: MissingText, contact: Contact, by: Actor, *,
        now: datetime, zone: ZoneInfo,
    ) -> str:  # fmt: skip
        opened = await open_episode(
            session, self.config, case_reference=command.case_reference, risk=command.risk,
            by=by, at=now, contact=contact, missing_from=command.missing_from,
        )  # fmt: skip
        episode, ref = opened.episode, command.ref
        risk = episode.risk.upper() if episode.risk == Risk.HIGH else episode.risk
        since = _when(episode.reported_at, now, zone)
        if opened.joined:
            head = f"{ref} added to the missing episode open since {since} ({risk} risk)."
        else:
            head = f"{ref}: missing episode recorded, {risk} risk, reported {since}."
        told = ""
        if opened.alerted:
            manager = await resolve_targets(
                session, ["senior_manager"], at=now, exclude=by.person_id
            )
            told = (
                f" {manager[0].name} (senior manager) alerted."
                if manager
                else " No senior manager on call: all managers alerted."
            )
        repeat = " REPEAT: another episode in 30 days." if opened.repeat else ""
        # Up to two segments: a repeat and a long name do not fit in one, and none may be cut.
        return fit(f"{head}{repeat}{told} Reply FOUND {ref} when back.", 2 * MULTI_GSM7)

    async def _found(
        self, session: AsyncSession, command: MissingText, contact: Contact, by: Actor, *,
        now: datetime, zone: ZoneInfo,
    ) -> str:  # fmt: skip
        ref = command.ref
        linked = select(EpisodeContact.episode_id).where(EpisodeContact.contact_id == contact.id)
        query = select(MissingEpisode).with_for_update().order_by(MissingEpisode.id)
        if command.case_reference:
            case = self.config.case_reference_of(command.case_reference)
            query = query.where(MissingEpisode.case_reference == case)
        else:
            query = query.where(MissingEpisode.id.in_(linked))
        episodes = [e for e in await session.scalars(query) if e.status != EpisodeStatus.WITHDRAWN]
        still = [e for e in episodes if e.status == EpisodeStatus.OPEN]
        if not still:
            back = [e.returned_at for e in episodes if e.returned_at is not None]
            if back:
                at = _when(max(back), now, zone)
                return fit(
                    f"FOUND {ref}: the return was already recorded at {at}. Nothing changed."
                )
            return fit(f"FOUND {ref}: no child is recorded missing on {ref}. Nothing changed.")
        if len(still) > 1:
            return fit(
                f"FOUND {ref}: {len(still)} children are missing on {ref}; send FOUND {ref} "
                "<case ref>. Nothing changed."
            )
        episode = await record_return(
            session, self.config, still[0], returned_at=now, by=by, at=now, contact=contact
        )
        due = episode.interview_due_at or now
        return fit(
            f"{ref}: return recorded at {_when(now, now, zone)}. Return home interview due by "
            f"{_when(due, now, zone)}; the day team is told. Thank you."
        )
