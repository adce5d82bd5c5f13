"""A night's faults as they strike: Twilio's REST API failing, callbacks lost, the sender
crashing, the database refusing or hanging, a replica killed; and what each leaves armed."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from oncall.sim.model import FaultPlan
from oncall.sim.service import Service
from oncall.sim.truth import NightTruth

REST_FAULTS = ("rest-5xx", "rest-429", "rest-timeout", "rest-lost-response")
DB_WINDOW = timedelta(minutes=1)  # clock time a database fault is counted against (per fault)


@dataclass
class Strikes:
    """The faults of one night still in force."""

    sim: Service
    rng: random.Random
    truth: NightTruth
    rest_timeout_s: float
    on_database: Callable[[datetime], None]  # a database fault has struck at this instant
    crashed_until: datetime | None = None
    crashed_replica: int = 0  # whose sender is down (each replica runs its own)
    kill_pending: bool = False
    rest_outages: list[tuple[str, datetime]] = field(default_factory=list)
    _fired: set[int] = field(default_factory=set)  # database faults that have struck

    def strike(self, fault: FaultPlan, phone_on_duty: str) -> datetime | None:
        """Start `fault`; returns when its window ends if something is due then (lost callbacks
        found again, a database fault not yet struck armed for any webhook)."""
        faults = self.sim.fake.faults
        end = fault.at + timedelta(seconds=fault.seconds)
        if not self.sim.link.supports(fault.kind):
            return None  # not on this database (docs/simulator.md): the night goes on
        if fault.kind.startswith("db-"):
            # It waits for a webhook of its kind to strike just before, so that it meets a call
            # or a callback; past its window, for any webhook at all.
            self.sim.fake.webhooks.before_next(fault.during, lambda: self._database(fault))
            return end

        self.truth.faults.append((fault.kind, fault.at, end))
        if fault.kind in REST_FAULTS:
            self.rest_outages.append((fault.kind, end))
            self.arm_rest_faults()
        elif fault.kind == "lost-callbacks":
            faults.lose_status_callbacks(phone_on_duty)
            return end
        elif fault.kind == "sender-crash":
            self.crashed_until = end
        elif fault.kind == "replica-restart":
            self.kill_pending = True
        return None

    def rearm(self, fault: FaultPlan) -> None:
        """A database fault still waiting at the end of its window strikes at the next webhook."""
        if id(fault) not in self._fired:
            self.sim.fake.webhooks.before_next("/twilio/", lambda: self._database(fault))

    async def _database(self, fault: FaultPlan) -> None:
        if id(fault) in self._fired:
            return
        self._fired.add(id(fault))
        now = self.sim.clock.now()
        self.truth.faults.append((fault.kind, now, now + DB_WINDOW))
        self.sim.link.strike(fault.kind, fault.hold_s)
        self.on_database(now)

    def arm_rest_faults(self) -> None:
        """While a REST outage lasts, the next requests of each pass meet it (a timeout or a
        lost answer costs the client its timeout in real time, so those take one a pass)."""
        faults, timeout, now = (self.sim.fake.faults, self.rest_timeout_s, self.sim.clock.now())
        self.rest_outages = [(kind, end) for kind, end in self.rest_outages if end > now]
        faults.faults.clear()
        for kind, _end in self.rest_outages:
            if kind == "rest-5xx":
                faults.fail_next(self.rng.randint(1, 3))
            elif kind == "rest-429":
                faults.rate_limit_next(
                    self.rng.randint(1, 3), retry_after_s=self.rng.randint(1, 30)
                )
            elif kind == "rest-timeout":
                faults.hang_next(1, seconds=timeout + 0.5)
            elif kind == "rest-lost-response":
                faults.lose_response_next(1, seconds=timeout + 0.5)
