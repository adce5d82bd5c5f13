"""The TCP proxy of the fault tests is the simulator's (oncall/sim/proxy.py): one copy."""

from oncall.sim.proxy import TcpProxy, Timing

__all__ = ["TcpProxy", "Timing"]
