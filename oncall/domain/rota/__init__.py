"""The rota: months, problems for the solver, versions, publishing, repair and exports."""
