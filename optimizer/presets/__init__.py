"""Reading and validating preset files: imports neither torch nor Optuna, so other programs can load presets."""
