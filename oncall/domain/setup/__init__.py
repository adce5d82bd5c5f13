"""Setting the service up: the standard lines, the day desk, default templates and policies
(`service`), the directory of lines, agency callers and foster households as the web app edits it
(`directory`), and the synthetic demo data set (`demo`).
"""

from oncall.domain.setup.demo import DEMO_PASSWORD, DemoDataInvalid, database_is_empty, load_demo
from oncall.domain.setup.directory import (
    ROUTING_POLICIES,
    add_caller,
    add_household,
    add_number,
    directory,
    parse_policy_steps,
    remove_number,
    set_active,
    update_line,
)
from oncall.domain.setup.service import SetupConflict, configure_lines

__all__ = [
    "DEMO_PASSWORD",
    "ROUTING_POLICIES",
    "DemoDataInvalid",
    "SetupConflict",
    "add_caller",
    "add_household",
    "add_number",
    "configure_lines",
    "database_is_empty",
    "directory",
    "load_demo",
    "parse_policy_steps",
    "remove_number",
    "set_active",
    "update_line",
]
