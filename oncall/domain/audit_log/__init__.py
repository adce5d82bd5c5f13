"""The response log for managers: contact queries, timelines, outcomes, KPIs, exports, handover."""
