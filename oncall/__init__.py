"""Out-of-hours on-call rota and escalation service."""
