"""The HTML study report: Pareto front, hypervolume history, parameter importances, preset comparison."""
