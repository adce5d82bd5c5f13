"""Fault-test support: replica processes, a TCP proxy to cut, a cluster, a seeded night.

Kept empty: a replica process imports `faults_support.replica` alone, and starts faster.
"""
