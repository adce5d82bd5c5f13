"""The real Twilio adapter: REST client, webhook signature checks, TwiML building."""

from integrations.twilio.adapter import DEFAULT_API_BASE, TwilioTelephony
from integrations.twilio.signature import SIGNATURE_HEADER, validate_signature

__all__ = ["DEFAULT_API_BASE", "SIGNATURE_HEADER", "TwilioTelephony", "validate_signature"]
