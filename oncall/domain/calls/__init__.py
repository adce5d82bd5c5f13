"""Voice calls from the public: the call flow step by step (`flow`), answering each step with a
plain instruction (`integrations.voice`, turned into TwiML at the Twilio boundary) in the words
of `spoken`, the answers kept for the provider's retries (`receipts`), and open calls finished
from the provider's records (`reconcile`). Who is rung, in which order, is `duty.ringing`.
"""

from oncall.domain.calls.flow import message_recorded
from oncall.domain.calls.receipts import (
    forget_old_replies,
    receipt_key,
    remember_reply,
    stored_reply,
)
from oncall.domain.calls.reconcile import CallReconciler

__all__ = [
    "CallReconciler",
    "forget_old_replies",
    "message_recorded",
    "receipt_key",
    "remember_reply",
    "stored_reply",
]
