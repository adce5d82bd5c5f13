"""Persistence: engine, typed models, query functions and Alembic migrations."""
