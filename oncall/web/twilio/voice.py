"""Voice webhooks. Each step runs in one transaction with its receipt, within the webhook budget;
any failure or a step over budget still answers valid TwiML that rings the last known on-duty
phones, so a caller always reaches someone (and that answer is recorded when it can be)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from integrations import voice
from integrations.twilio import TWIML_CONTENT_TYPE, twiml, urls
from integrations.twilio.words import call_progress, dial_outcome
from oncall import keys
from oncall.domain.calls import flow as calls
from oncall.domain.calls import remember_reply, spoken, stored_reply
from oncall.domain.contacts import contact_exists
from oncall.log import get_logger
from oncall.web.twilio.answer import status_in, twiml_response
from oncall.web.twilio.budget import OverBudget
from oncall.web.twilio.failsafe import failsafe_given, record_failsafes
from oncall.web.twilio.security import params_of

log = get_logger(__name__)

routes = web.RouteTableDef()

Step = Callable[[AsyncSession, datetime], Awaitable[voice.Instruction]]


def _failsafe(request: web.Request) -> web.Response:
    settings = request.config_dict[keys.SETTINGS]
    numbers = request.config_dict[keys.DUTY_NUMBERS].numbers
    return twiml_response(
        twiml.failsafe(
            numbers, settings.fallback_number or None,
            greeting=spoken.FAILSAFE_GREETING, unreachable=spoken.UNREACHABLE,
        )
    )  # fmt: skip


def _fallback(request: web.Request) -> str | None:
    return request.config_dict[keys.SETTINGS].fallback_number or None


def _int(request: web.Request, name: str) -> int:
    try:
        return int(request.query.get(name, ""))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name}: expected a whole number") from None


async def _run_step(
    request: web.Request,
    key: str,
    step: Step,
    *,
    on_failure: Callable[[], web.Response],
    before: Callable[[], Awaitable[None]] | None = None,
) -> web.Response:
    """Run one step exactly once, within the webhook budget: a retry with the same key gets the
    first reply again; a failure, or a step not done in time, gets `on_failure()`."""
    db = request.config_dict[keys.DATABASE]
    now = request.config_dict[keys.CLOCK].now()

    async def once() -> web.Response:
        if before is not None:
            await before()
        try:
            async with db.sessions() as session:
                earlier = await stored_reply(session, key)
                if earlier is not None:
                    return twiml_response(earlier.body)
                body = twiml.render(await step(session, now))
                remember_reply(session, key, body, TWIML_CONTENT_TYPE, now)
                await session.commit()
                return twiml_response(body)
        except IntegrityError:  # the same step ran at the same moment elsewhere: use its reply
            async with db.sessions() as session:
                earlier = await stored_reply(session, key)
            if earlier is not None:
                return twiml_response(earlier.body)
            raise

    budget = request.config_dict[keys.WEBHOOK_BUDGET]
    try:
        return await budget.run(once)
    except OverBudget:
        log.warning("voice step over its time budget; answering its failure reply", key=key)
    except Exception:
        log.exception("voice step failed; answering its failure reply (fail-safe or 503)", key=key)
    answer = on_failure()
    await budget.journalled()  # a fail-safe given survives a restart (at most a moment's wait)
    return answer


async def _require_contact(session: AsyncSession, contact_id: int) -> None:
    """A caller's follow-up names a contact we never opened (only a forged or corrupted URL can):
    raising sends the caller to the fail-safe ring rather than the domain's hang-up."""
    if not await contact_exists(session, contact_id):
        raise LookupError(f"no contact {contact_id}")


def _caller_leg_failure(request: web.Request, step: str, key: str) -> Callable[[], web.Response]:
    """The caller's fail-safe ring, remembered so that the log can say it was given."""

    def failure() -> web.Response:
        failsafe_given(request.config_dict, step=step, receipt=key, params=params_of(request))
        return _failsafe(request)

    return failure


def _callee_leg_failure() -> web.Response:
    # The person on duty picked up but we cannot screen: connecting beats dropping the caller.
    return twiml_response(twiml.render(voice.Connect(spoken.CONNECTING_UNSCREENED)))


@routes.post(urls.VOICE_INCOMING)
async def incoming(request: web.Request) -> web.Response:
    params = params_of(request)
    call_sid = params.get("CallSid", "")
    zone = request.config_dict[keys.SETTINGS].zone

    async def step(session: AsyncSession, now: datetime) -> voice.Instruction:
        return await calls.call_received(
            session,
            call_sid=call_sid or f"unknown-{now.timestamp()}",
            from_=params.get("From", ""),
            to=params.get("To", ""),
            at=now,
            zone=zone,
            fallback=_fallback(request),
        )

    if not call_sid:
        log.warning("incoming call without CallSid")
    key = f"voice:incoming:{call_sid}"
    return await _run_step(
        request, key, step, on_failure=_caller_leg_failure(request, "incoming", key)
    )


@routes.post(urls.VOICE_MENU)
async def menu(request: web.Request) -> web.Response:
    params = params_of(request)
    try:
        contact_id = _int(request, "contact")
    except web.HTTPBadRequest:
        return _failsafe(request)
    digits = params.get("Digits", "")

    async def step(session: AsyncSession, now: datetime) -> voice.Instruction:
        await _require_contact(session, contact_id)
        return await calls.menu_chosen(
            session, contact_id=contact_id, digits=digits, at=now, fallback=_fallback(request)
        )

    key = f"voice:menu:{params.get('CallSid', '')}:{contact_id}"
    return await _run_step(request, key, step, on_failure=_caller_leg_failure(request, "menu", key))


@routes.post(urls.VOICE_WHISPER)
async def whisper(request: web.Request) -> web.Response:
    params = params_of(request)
    try:
        contact_id, attempt = _int(request, "contact"), _int(request, "attempt")
    except web.HTTPBadRequest:
        return _callee_leg_failure()

    async def step(session: AsyncSession, now: datetime) -> voice.Instruction:
        return await calls.callee_answered(session, contact_id=contact_id, attempt=attempt, at=now)

    key = f"voice:whisper:{contact_id}:{attempt}:{params.get('CallSid', '')}"
    return await _run_step(request, key, step, on_failure=_callee_leg_failure)


@routes.post(urls.VOICE_SCREEN)
async def screen(request: web.Request) -> web.Response:
    params = params_of(request)
    try:
        contact_id, attempt = _int(request, "contact"), _int(request, "attempt")
    except web.HTTPBadRequest:
        return _callee_leg_failure()
    digits = params.get("Digits", "")

    async def step(session: AsyncSession, now: datetime) -> voice.Instruction:
        return await calls.callee_pressed(
            session, contact_id=contact_id, attempt=attempt, digits=digits, at=now
        )

    key = f"voice:screen:{contact_id}:{attempt}:{params.get('CallSid', '')}"
    return await _run_step(request, key, step, on_failure=_callee_leg_failure)


@routes.post(urls.VOICE_DIAL_RESULT)
async def dial_result(request: web.Request) -> web.Response:
    params = params_of(request)
    try:
        contact_id, attempt = _int(request, "contact"), _int(request, "attempt")
    except web.HTTPBadRequest:
        return _failsafe(request)
    try:
        duration: int | None = int(params.get("DialCallDuration", ""))
    except ValueError:
        duration = None
    outcome = status_in(params, "DialCallStatus", dial_outcome)
    caller = status_in(params, "CallStatus", call_progress)

    async def step(session: AsyncSession, now: datetime) -> voice.Instruction:
        await _require_contact(session, contact_id)
        return await calls.dial_finished(
            session,
            contact_id=contact_id,
            attempt=attempt,
            outcome=outcome,
            duration=duration,
            caller=caller,
            at=now,
            fallback=_fallback(request),
            links=request.config_dict[keys.OUTCOME_LINKS],
            zone=request.config_dict[keys.SETTINGS].zone,
        )

    key = f"voice:dial-result:{contact_id}:{attempt}"
    return await _run_step(
        request, key, step, on_failure=_caller_leg_failure(request, "dial-result", key)
    )


@routes.post(urls.VOICE_RECORDED)
async def recorded(request: web.Request) -> web.Response:
    params = params_of(request)
    try:
        contact_id = _int(request, "contact")
    except web.HTTPBadRequest:
        return twiml_response(twiml.render(voice.HangUp(spoken.MESSAGE_TAKEN)))
    try:
        seconds = int(params.get("RecordingDuration", "0"))
    except ValueError:
        seconds = 0

    async def step(session: AsyncSession, now: datetime) -> voice.Instruction:
        return await calls.message_recorded(
            session,
            contact_id=contact_id,
            recording_url=params.get("RecordingUrl", ""),
            seconds=seconds,
            at=now,
        )

    return await _run_step(
        request,
        f"voice:recorded:{contact_id}",
        step,
        on_failure=lambda: twiml_response(twiml.render(voice.HangUp(spoken.MESSAGE_TAKEN))),
    )


@routes.post(urls.VOICE_STATUS)
async def status(request: web.Request) -> web.Response:
    """Status callback of the caller's call (configured on each number in Twilio's console).

    If it cannot be recorded the answer is 503, as for the outbox's callbacks. Twilio does not
    retry a voice status callback by default, so the call check (oncall/domain/calls/reconcile)
    asks Twilio later about any call whose record is still open.
    """
    params = params_of(request)
    call_sid, word = params.get("CallSid", ""), params.get("CallStatus", "")
    progress = status_in(params, "CallStatus", call_progress)
    try:
        duration: int | None = int(params.get("CallDuration", ""))
    except ValueError:
        duration = None

    async def step(session: AsyncSession, now: datetime) -> voice.Instruction:
        if progress is not None and progress.ended:
            await calls.record_call_end(
                session, call_sid=call_sid, progress=progress, duration=duration, at=now,
                links=request.config_dict[keys.OUTCOME_LINKS],
                zone=request.config_dict[keys.SETTINGS].zone,
            )  # fmt: skip
        return voice.Ignored()

    async def failsafes_first() -> None:
        # A fail-safe answer this replica gave the call and has not recorded yet goes first, so
        # that the end is not taken for a caller who hung up unanswered.
        if progress is not None and progress.ended and call_sid:
            await record_failsafes(request.config_dict, call_sid)

    return await _run_step(
        request,
        f"voice:status:{call_sid}:{word}",
        step,
        on_failure=lambda: web.Response(status=503, text="try again"),
        before=failsafes_first,
    )


@routes.post(urls.VOICE_FAILSAFE)
async def failsafe_after_dial(request: web.Request) -> web.Response:
    """After the fail-safe ring (no database used): stop if answered, else the fallback number."""
    outcome = status_in(params_of(request), "DialCallStatus", dial_outcome)
    fallback = request.config_dict[keys.SETTINGS].fallback_number or None
    return twiml_response(
        twiml.failsafe_after_dial(outcome, fallback, unreachable=spoken.UNREACHABLE)
    )
