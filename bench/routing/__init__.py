"""Inbound voice webhook latency and throughput."""
