"""Scorers: CLAP prompt adherence, repetition, degeneracy, diversity, and their summaries."""

from objectives.scoring._clap import CLAP_SAMPLE_RATE, CLAP_WINDOW_SECONDS, ClapScorer
from objectives.scoring._degeneracy import DegeneracyReport, DegeneracyThresholds, degeneracy
from objectives.scoring._diversity import embedding_spread
from objectives.scoring._repetition import RepetitionConfig, repetition_score, token_repetition
from objectives.scoring._stats import ScoreSummary, summarize

__all__ = [
    "CLAP_SAMPLE_RATE",
    "CLAP_WINDOW_SECONDS",
    "ClapScorer",
    "DegeneracyReport",
    "DegeneracyThresholds",
    "RepetitionConfig",
    "ScoreSummary",
    "degeneracy",
    "embedding_spread",
    "repetition_score",
    "summarize",
    "token_repetition",
]
