"""Read models for the start and Now pages: how many staff, lines and households the service
knows (`counts`), and who is on duty now and tonight with the open alerts and recent contacts
(`tonight`).
"""

from oncall.domain.overview.counts import service_overview, simulator_entries
from oncall.domain.overview.tonight import now_board, tonight_instant

__all__ = ["now_board", "service_overview", "simulator_entries", "tonight_instant"]
