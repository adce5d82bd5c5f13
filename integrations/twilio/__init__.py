"""The real Twilio adapter: REST client, webhook signature checks, TwiML building."""

from integrations.twilio.adapter import DEFAULT_API_BASE, TwilioTelephony
from integrations.twilio.signature import SIGNATURE_HEADER, validate_signature
from integrations.twilio.twiml import TWIML_CONTENT_TYPE

__all__ = [
    "DEFAULT_API_BASE",
    "SIGNATURE_HEADER",
    "TWIML_CONTENT_TYPE",
    "TwilioTelephony",
    "validate_signature",
]
