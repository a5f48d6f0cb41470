"""Scorers: CLAP prompt adherence, repetition (raw and relative to a genre), degeneracy, diversity, Fréchet
distance to reference audio, and their summaries (loaded lazily)."""

from objectives._lazy import lazy_getattr

__all__ = [
    "CLAP_SAMPLE_RATE",
    "CLAP_WINDOW_SECONDS",
    "ClapScorer",
    "DegeneracyReport",
    "DegeneracyThresholds",
    "EmbeddingStats",
    "ReferenceSet",
    "RepetitionCalibration",
    "RepetitionConfig",
    "ScoreSummary",
    "degeneracy",
    "embedding_spread",
    "frechet_distance",
    "hard_clipped_share",
    "is_feasible",
    "load_reference",
    "reference_digest",
    "repetition_excess",
    "repetition_score",
    "summarize",
    "token_repetition",
]

_LAZY = {
    "CLAP_SAMPLE_RATE": "objectives.scoring._clap",
    "CLAP_WINDOW_SECONDS": "objectives.scoring._clap",
    "ClapScorer": "objectives.scoring._clap",
    "DegeneracyReport": "objectives.scoring._degeneracy",
    "DegeneracyThresholds": "objectives.scoring._degeneracy",
    "degeneracy": "objectives.scoring._degeneracy",
    "hard_clipped_share": "objectives.scoring._degeneracy",
    "embedding_spread": "objectives.scoring._diversity",
    "is_feasible": "objectives.scoring._feasibility",
    "EmbeddingStats": "objectives.scoring._fad",
    "frechet_distance": "objectives.scoring._fad",
    "ReferenceSet": "objectives.scoring._reference",
    "load_reference": "objectives.scoring._reference",
    "reference_digest": "objectives.scoring._reference",
    "RepetitionCalibration": "objectives.scoring._calibration",
    "repetition_excess": "objectives.scoring._calibration",
    "RepetitionConfig": "objectives.scoring._repetition",
    "repetition_score": "objectives.scoring._repetition",
    "token_repetition": "objectives.scoring._repetition",
    "ScoreSummary": "objectives.scoring._stats",
    "summarize": "objectives.scoring._stats",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
