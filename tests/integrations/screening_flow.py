"""A stand-in for the service's call flow: ring staff one by one, whisper, screen, voicemail."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.integrations.conftest import ServiceStub


@dataclass
class ScreeningFlow:
    """Answers the webhooks the way the real service is meant to, with relative URLs."""

    stub: ServiceStub
    staff: list[str]
    accepted: dict[str, str] = field(default_factory=dict)  # CallSid -> attempt accepted

    def install(self) -> None:
        self.stub.on("/voice/incoming", lambda p, _r: self.greeting())
        self.stub.on("/voice/whisper", lambda p, _r: self.whisper(p))
        self.stub.on("/voice/screen", lambda p, _r: self.screen(p))
        self.stub.on("/voice/dial-result", lambda p, _r: self.dial_result(p))
        self.stub.on("/voice/recorded", "<Response><Say>Thank you.</Say><Hangup/></Response>")

    def dial(self, attempt: int) -> str:
        number = self.staff[attempt - 1]
        return (
            f'<Dial action="dial-result?attempt={attempt}" timeout="20">'
            f'<Number url="/voice/whisper?attempt={attempt}">{number}</Number></Dial>'
        )

    def greeting(self) -> str:
        return f"<Response><Say>Out of hours social care.</Say>{self.dial(1)}</Response>"

    def whisper(self, params: dict[str, str]) -> str:
        attempt = params["attempt"]
        return (
            "<Response>"
            f'<Gather numDigits="1" timeout="8" action="screen?attempt={attempt}">'
            "<Say>Out-of-hours call from Police HQ, reference 0412. Press 1 to accept.</Say>"
            "</Gather><Hangup/></Response>"
        )

    def screen(self, params: dict[str, str]) -> str:
        if params.get("Digits") == "1":
            self.accepted[params["ParentCallSid"]] = params["attempt"]
            return "<Response/>"
        return "<Response><Hangup/></Response>"

    def dial_result(self, params: dict[str, str]) -> str:
        attempt = int(params["attempt"])
        if params["CallSid"] in self.accepted:
            return "<Response><Hangup/></Response>"
        if attempt < len(self.staff):
            return f"<Response>{self.dial(attempt + 1)}</Response>"
        return (
            "<Response><Say>Nobody is available. Please leave a message.</Say>"
            '<Record action="/voice/recorded" maxLength="120" '
            'recordingStatusCallback="/voice/recording-status"/><Hangup/></Response>'
        )
