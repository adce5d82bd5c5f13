"""Tests of the pure rota solver package."""
