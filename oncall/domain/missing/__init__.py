"""Missing from home or care: episodes keyed by a case reference (`episodes`: open from a
contact or the web, later nights' contacts, the return; `edits`: corrections and the return home
interview), MISSING and FOUND by text (`commands`, answered through escalation's `MoreCommands`),
the alert by risk to the senior manager on call, the episodes as read (`reads`: repeats, first
action), the daily missing meeting pack (`pack`, made each morning by `meeting`), the senior
leaders' figures (`dashboard`) and the demo episodes (`demo`).

It owns the `missing_episodes` and `missing_episode_contacts` tables and the `missing.*` events;
alerts are escalation's (`raise_alert`), the log is the chain's.
"""

from oncall.domain.missing.commands import MissingCommands, parse_missing_text, worked_on
from oncall.domain.missing.config import REPEAT_WINDOW, MissingConfig, missing_config
from oncall.domain.missing.dashboard import (
    Dashboard,
    Week,
    dashboard,
    dashboard_csv,
    default_period,
)
from oncall.domain.missing.demo import load_demo_episodes
from oncall.domain.missing.edits import INTERVIEW_STEPS, record_interview, update_episode
from oncall.domain.missing.episodes import (
    ALERT_OF_RISK,
    Actor,
    Opened,
    contact_named,
    locked_episode,
    open_episode,
    record_return,
    return_on_contact,
    withdraw_episode,
)
from oncall.domain.missing.errors import (
    EpisodeConflict,
    EpisodeInvalid,
    EpisodeNotFound,
)
from oncall.domain.missing.meeting import PackConfig, morning_pack
from oncall.domain.missing.pack import Pack, PackItem, gather_pack, pack_csv, pack_rows, pack_text
from oncall.domain.missing.reads import (
    EpisodeFilter,
    EpisodePage,
    EpisodeView,
    HistoryEntry,
    episode_history,
    episode_view,
    episodes_of_contact,
    interview_tasks,
    list_episodes,
    notes_of,
    parse_episode_filter,
)

__all__ = [
    "ALERT_OF_RISK",
    "INTERVIEW_STEPS",
    "REPEAT_WINDOW",
    "Actor",
    "Dashboard",
    "EpisodeConflict",
    "EpisodeFilter",
    "EpisodeInvalid",
    "EpisodeNotFound",
    "EpisodePage",
    "EpisodeView",
    "HistoryEntry",
    "MissingCommands",
    "MissingConfig",
    "Opened",
    "Pack",
    "PackConfig",
    "PackItem",
    "Week",
    "contact_named",
    "dashboard",
    "dashboard_csv",
    "default_period",
    "episode_history",
    "episode_view",
    "episodes_of_contact",
    "gather_pack",
    "interview_tasks",
    "list_episodes",
    "load_demo_episodes",
    "locked_episode",
    "missing_config",
    "morning_pack",
    "notes_of",
    "open_episode",
    "pack_csv",
    "pack_rows",
    "pack_text",
    "parse_episode_filter",
    "parse_missing_text",
    "record_interview",
    "record_return",
    "return_on_contact",
    "update_episode",
    "withdraw_episode",
    "worked_on",
]
