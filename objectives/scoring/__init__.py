"""Scorers: CLAP prompt adherence, repetition (raw and relative to a genre), degeneracy, diversity, Fréchet
distance to reference audio, and their summaries (loaded lazily); the one :class:`Scorer` interface each
registered score implements (``_scorer``, the built-in ones in ``_scorers``)."""

from typing import TYPE_CHECKING

from objectives._lazy import lazy_getattr

if TYPE_CHECKING:
    from objectives.scoring._calibration import RepetitionCalibration, repetition_excess
    from objectives.scoring._clap import CLAP_SAMPLE_RATE, CLAP_WINDOW_SECONDS, ClapScorer
    from objectives.scoring._continuity import seam_continuity
    from objectives.scoring._degeneracy import DegeneracyReport, DegeneracyThresholds, degeneracy, hard_clipped_share
    from objectives.scoring._diversity import embedding_spread
    from objectives.scoring._fad import MIN_EMBEDDINGS, EmbeddingStats, frechet_distance
    from objectives.scoring._feasibility import is_feasible
    from objectives.scoring._melody import melody_adherence
    from objectives.scoring._reference import (
        ReferenceSet,
        load_reference,
        reference_digest,
        reference_repetition_cached,
    )
    from objectives.scoring._repetition import RepetitionConfig, repetition_score, token_repetition
    from objectives.scoring._scorer import NEEDS, Scorer, ScoringInputs
    from objectives.scoring._scorers import (
        ClapAdherence,
        Continuity,
        Diversity,
        FrechetDistance,
        MelodyAdherence,
        RawRepetition,
        RepetitionExcess,
        StereoImage,
        TokenRepetition,
    )
    from objectives.scoring._stats import ScoreSummary, summarize
    from objectives.scoring._stereo import channel_degeneracy, side_mid_ratio

__all__ = [
    "CLAP_SAMPLE_RATE",
    "CLAP_WINDOW_SECONDS",
    "MIN_EMBEDDINGS",
    "NEEDS",
    "ClapAdherence",
    "ClapScorer",
    "Continuity",
    "DegeneracyReport",
    "DegeneracyThresholds",
    "Diversity",
    "EmbeddingStats",
    "FrechetDistance",
    "MelodyAdherence",
    "RawRepetition",
    "ReferenceSet",
    "RepetitionCalibration",
    "RepetitionConfig",
    "RepetitionExcess",
    "ScoreSummary",
    "Scorer",
    "ScoringInputs",
    "StereoImage",
    "TokenRepetition",
    "channel_degeneracy",
    "degeneracy",
    "embedding_spread",
    "frechet_distance",
    "hard_clipped_share",
    "is_feasible",
    "load_reference",
    "melody_adherence",
    "reference_digest",
    "reference_repetition_cached",
    "repetition_excess",
    "repetition_score",
    "seam_continuity",
    "side_mid_ratio",
    "summarize",
    "token_repetition",
]

_LAZY = {
    "RepetitionCalibration": "objectives.scoring._calibration",
    "repetition_excess": "objectives.scoring._calibration",
    "CLAP_SAMPLE_RATE": "objectives.scoring._clap",
    "CLAP_WINDOW_SECONDS": "objectives.scoring._clap",
    "ClapScorer": "objectives.scoring._clap",
    "seam_continuity": "objectives.scoring._continuity",
    "DegeneracyReport": "objectives.scoring._degeneracy",
    "DegeneracyThresholds": "objectives.scoring._degeneracy",
    "degeneracy": "objectives.scoring._degeneracy",
    "hard_clipped_share": "objectives.scoring._degeneracy",
    "embedding_spread": "objectives.scoring._diversity",
    "EmbeddingStats": "objectives.scoring._fad",
    "MIN_EMBEDDINGS": "objectives.scoring._fad",
    "frechet_distance": "objectives.scoring._fad",
    "is_feasible": "objectives.scoring._feasibility",
    "melody_adherence": "objectives.scoring._melody",
    "ReferenceSet": "objectives.scoring._reference",
    "load_reference": "objectives.scoring._reference",
    "reference_digest": "objectives.scoring._reference",
    "reference_repetition_cached": "objectives.scoring._reference",
    "RepetitionConfig": "objectives.scoring._repetition",
    "repetition_score": "objectives.scoring._repetition",
    "token_repetition": "objectives.scoring._repetition",
    "NEEDS": "objectives.scoring._scorer",
    "Scorer": "objectives.scoring._scorer",
    "ScoringInputs": "objectives.scoring._scorer",
    **{name: "objectives.scoring._scorers" for name in (
        "ClapAdherence", "Continuity", "Diversity", "FrechetDistance", "MelodyAdherence", "RawRepetition",
        "RepetitionExcess", "StereoImage", "TokenRepetition")},
    "ScoreSummary": "objectives.scoring._stats",
    "summarize": "objectives.scoring._stats",
    "channel_degeneracy": "objectives.scoring._stereo",
    "side_mid_ratio": "objectives.scoring._stereo",
}

__getattr__ = lazy_getattr(__name__, _LAZY)
