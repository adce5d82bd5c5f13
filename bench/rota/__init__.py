"""Rota solver bench: problem generator, today's rotations, and the target run."""
