"""`oncall settings`: the settings in force, secrets hidden."""

from __future__ import annotations

import argparse
from typing import Any

from oncall.cli.base import EXIT_OK, add_command
from oncall.settings import Settings


def register(sub: Any) -> None:
    add_command(sub, "settings", _show, "show the settings in force (secrets hidden)")


def _show(_args: argparse.Namespace, settings: Settings) -> int:
    for name, value in settings.describe().items():
        print(f"{name} = {value}")
    return EXIT_OK
