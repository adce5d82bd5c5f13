"""The missing-from-home-or-care screens: episodes (list, open, one episode with its changes), the
day team's interview tasks, the daily meeting pack (page, CSV, PDF) and the leaders' dashboard."""
