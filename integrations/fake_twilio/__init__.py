"""A fake Twilio: its REST API, signed webhooks, scripted phones and a TwiML interpreter."""

from integrations.fake_twilio.app import create_fake_app
from integrations.fake_twilio.directory import (
    Directory,
    DirectoryProvider,
    TimelineUrl,
    static_directory,
)
from integrations.fake_twilio.fake import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilio
from integrations.fake_twilio.phones import CallerScript, PhoneBehaviour, PhoneScript
from integrations.fake_twilio.simulator import add_simulator
from integrations.fake_twilio.state import CallRecord, CallTrace, MessageRecord, TraceEvent

__all__ = [
    "DEFAULT_ACCOUNT_SID",
    "DEFAULT_AUTH_TOKEN",
    "CallRecord",
    "CallTrace",
    "CallerScript",
    "Directory",
    "DirectoryProvider",
    "FakeTwilio",
    "MessageRecord",
    "PhoneBehaviour",
    "PhoneScript",
    "TimelineUrl",
    "TraceEvent",
    "add_simulator",
    "create_fake_app",
    "static_directory",
]
