"""The rota screens: months and versions, generate and repair jobs, publish, hand edits."""
