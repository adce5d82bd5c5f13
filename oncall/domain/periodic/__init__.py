"""Periodic work: one `Runner` per replica runs every `Job` (escalation steps, the outbox, the
call check, the morning handover, chain verification, pruning) on the service's clock.
Which jobs run, and how often, is the app's wiring (`oncall.web.background`).
"""

from oncall.domain.periodic.runner import Job, Runner

__all__ = ["Job", "Runner"]
