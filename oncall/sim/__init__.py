"""The night simulator (`oncall simulate`, docs/simulator.md): the real service on a local port,
the fake Twilio playing every phone, a manual clock moved night after night, and invariants
checked after each night from the simulator's own ground truth.

It sits beside the command line, not in the domain: it builds the app with `create_app` (the
one way in, as `oncall serve` does) and drives it over HTTP through Twilio's webhooks.
"""

from oncall.sim.model import SimConfig, TrafficRates
from oncall.sim.run import SimResult, simulate

__all__ = ["SimConfig", "SimResult", "TrafficRates", "simulate"]
