"""Benchmarks with targets; each writes its figures to bench/results/."""
