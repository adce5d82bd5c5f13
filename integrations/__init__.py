"""Outside systems behind small protocols; imports nothing of oncall."""
