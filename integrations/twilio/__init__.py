"""Twilio, the service's one phone provider: its REST client, webhook signature checks, every
TwiML document, its status words in ours, and the webhook URLs it is given."""

from integrations.twilio.adapter import DEFAULT_API_BASE, TwilioTelephony
from integrations.twilio.signature import SIGNATURE_HEADER, validate_signature
from integrations.twilio.twiml import TWIML_CONTENT_TYPE
from integrations.twilio.urls import WebhookUrls

__all__ = [
    "DEFAULT_API_BASE",
    "SIGNATURE_HEADER",
    "TWIML_CONTENT_TYPE",
    "TwilioTelephony",
    "WebhookUrls",
    "validate_signature",
]
