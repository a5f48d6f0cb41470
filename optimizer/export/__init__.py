"""From trials to presets: Pareto selection, re-validation on held-out prompts, preset building, the export claim."""
