"""The search: space, samplers, genre files, study and storage, workers and heartbeats, baselines, interrupts,
the trial loop."""
