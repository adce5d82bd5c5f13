"""HTTP handlers by audience: twilio/ (webhooks), api/ (JSON), ui/ (pages)."""
