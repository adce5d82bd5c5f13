"""The managers' audit screens: contacts and events, KPIs and reports, handover, the chain."""
