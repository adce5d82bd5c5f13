"""Voice calls from the public: the call flow step by step (`flow`), answering each step with a
plain instruction (`integrations.voice`, turned into TwiML at the Twilio boundary) in the words
of `spoken`, the answers kept for the provider's retries (`receipts`), and open calls finished
from the provider's records (`reconcile`), the fail-safe given when a step could not be decided
in time (`failsafe`), and calls and texts that never reached the service found in the provider's
records afterwards (`recovery`). Who is rung, in which order, is `duty.ringing`.
"""

from oncall.domain.calls.flow import message_recorded
from oncall.domain.calls.receipts import (
    forget_old_replies,
    receipt_key,
    remember_reply,
    stored_reply,
)
from oncall.domain.calls.reconcile import CallReconciler
from oncall.domain.calls.recovery import ProviderRecovery, Recovered

__all__ = [
    "CallReconciler",
    "ProviderRecovery",
    "Recovered",
    "forget_old_replies",
    "message_recorded",
    "receipt_key",
    "remember_reply",
    "stored_reply",
]
