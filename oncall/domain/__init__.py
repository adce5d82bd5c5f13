"""The service's logic, one package per concept (docs/architecture.md has the map and layers).

setup, periodic / audit, metrics / overview / calls / escalation / outcomes / rota, contacts /
outbox / duty, people / texts, chain / errors: each package uses only those below it.
"""
