"""Review by ear: dashboard artifacts and notes, the dashboard server, rating (``--human``), pairwise
comparisons, preset marks."""
