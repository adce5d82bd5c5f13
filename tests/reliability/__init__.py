"""Reliability: faults, bad input, load and security checks, bounded in time."""
