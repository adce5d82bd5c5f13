"""SMS: the delivery lifecycle of outbound messages and the webhook for inbound ones."""

from __future__ import annotations

from typing import Protocol

from integrations.fake_twilio.faults import FaultInjector
from integrations.fake_twilio.phones import PhoneBook
from integrations.fake_twilio.state import API_VERSION, MessageRecord, NumberConfig, new_sid
from integrations.fake_twilio.twiml import TwimlError, message_text, parse_messaging
from integrations.fake_twilio.webhooks import WebhookSender


class MessagingHost(Protocol):
    """What SMS handling needs from the fake Twilio around it."""

    account_sid: str
    webhooks: WebhookSender
    phones: PhoneBook
    faults: FaultInjector
    numbers: dict[str, NumberConfig]
    messages: dict[str, MessageRecord]

    def record_error(self, where: str, detail: str) -> None: ...


def status_path(final: str) -> list[str]:
    """The statuses a message passes through after `queued` on its way to `final`."""
    return ["failed"] if final == "failed" else ["sent", final]


async def deliver(host: MessagingHost, message: MessageRecord) -> None:
    """Move a queued message to its final status, sending a signed callback at each step."""
    final, error_code = host.faults.delivery_outcome(message.to)
    await _status_callback(host, message)  # queued
    for status in status_path(final):
        message.set_status(status)
        if status in ("failed", "undelivered"):
            message.error_code = error_code
        await _status_callback(host, message)
    if message.status == "delivered":
        host.phones.deliver(message)


async def _status_callback(host: MessagingHost, message: MessageRecord) -> None:
    if not message.status_callback or message.sid in host.faults.silent:
        return
    if message.to in host.faults.callbacks_lost_to:
        return
    params = {
        "AccountSid": message.account_sid,
        "ApiVersion": API_VERSION,
        "From": message.from_,
        "To": message.to,
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": message.status,
        "SmsStatus": message.status,
    }
    if message.error_code is not None:
        params["ErrorCode"] = str(message.error_code)
    result = await host.webhooks.send(message.status_callback, params)
    if not result.ok:
        # Twilio logs these as debugger warning 11200 and does not retry by default.
        host.record_error(message.sid, f"status callback got {result.status or result.error}")


async def receive(
    host: MessagingHost, *, from_: str, to: str, body: str
) -> tuple[MessageRecord, list[MessageRecord]]:
    """Post an inbound SMS to the number's Messaging URL; deliver the TwiML replies."""
    config = host.numbers.get(to)
    if config is None or not config.sms_url:
        raise LookupError(f"{to} is not configured with an SMS URL")
    inbound = MessageRecord(
        sid=new_sid("SM"),
        account_sid=host.account_sid,
        to=to,
        from_=from_,
        body=body,
        direction="inbound",
        status="received",
        history=["received"],
    )
    host.messages[inbound.sid] = inbound
    params = {
        "AccountSid": host.account_sid,
        "ApiVersion": API_VERSION,
        "MessageSid": inbound.sid,
        "SmsSid": inbound.sid,
        "SmsMessageSid": inbound.sid,
        "SmsStatus": "received",
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": str(max(1, -(-len(body) // 160))),
    }
    result = await host.webhooks.send(config.sms_url, params)
    if not result.ok:
        host.record_error(inbound.sid, f"SMS webhook got {result.status or result.error}")
        return inbound, []
    try:
        verbs = parse_messaging(result.body)
    except TwimlError as exc:
        host.record_error(inbound.sid, f"SMS webhook answered invalid TwiML: {exc}")
        return inbound, []
    replies = []
    for verb in verbs:
        reply = MessageRecord(
            sid=new_sid("SM"),
            account_sid=host.account_sid,
            to=verb.attrs.get("to", from_),
            from_=verb.attrs.get("from", to),
            body=message_text(verb),
            direction="outbound-reply",
            status="queued",
            history=["queued"],
            status_callback=verb.attrs.get("statusCallback"),
        )
        host.messages[reply.sid] = reply
        await deliver(host, reply)
        replies.append(reply)
    return inbound, replies
