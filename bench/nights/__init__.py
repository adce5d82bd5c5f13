"""Nights through the whole service with faults: the rate a run reaches, and where it goes."""
