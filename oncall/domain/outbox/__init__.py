"""The outbox: messages and alert calls written in the transaction that decides them (`queue`),
leased and handed to the provider by the sender (`sender`, given the provider's callback URLs),
their statuses (`queue.apply_status`), what the provider's reports mean for them (`progress`)
and the lookups that recover lost status callbacks (`reconcile`). It knows no alerts: the owner
of a message says what its failure sets off (`events.OnFailure`).
"""

from oncall.domain.outbox.events import message_failed
from oncall.domain.outbox.progress import status_of_call, status_of_text
from oncall.domain.outbox.queue import FINAL_FAILURES, LOGGED_OUTCOMES
from oncall.domain.outbox.sender import OutboxSender, OutboxUrls, SenderConfig

__all__ = [
    "FINAL_FAILURES",
    "LOGGED_OUTCOMES",
    "OutboxSender",
    "OutboxUrls",
    "SenderConfig",
    "message_failed",
    "status_of_call",
    "status_of_text",
]
