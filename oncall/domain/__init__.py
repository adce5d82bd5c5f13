"""Domain logic: rota, duty, routing, escalation, audit log, reports; calls oncall.db."""
