"""Fréchet distance on embeddings, the reference set of the user's audio, and FAD as an evaluation score."""

import numpy as np
import pytest
import soundfile
from scipy import linalg

from objectives.scoring import EmbeddingStats, frechet_distance, load_reference, reference_digest


@pytest.fixture(scope="module")
def clap_scorer():
    from objectives._debug import build_debug_clap
    from objectives.scoring import ClapScorer

    model, processor = build_debug_clap()
    return ClapScorer(model, processor, name="debug")


def _dense_reference_formula(a, b):
    # The textbook formula with a general matrix square root (scipy), for full-rank covariances.
    root = linalg.sqrtm(a.cov @ b.cov).real
    diff = a.mean - b.mean
    return float(diff @ diff + np.trace(a.cov + b.cov - 2 * root))


def test_distance_matches_the_textbook_formula_and_its_properties():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 6))
    y = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    a, b = EmbeddingStats.from_embeddings(x), EmbeddingStats.from_embeddings(y)
    assert frechet_distance(a, b) == pytest.approx(_dense_reference_formula(a, b), rel=1e-9)
    assert frechet_distance(a, b) == pytest.approx(frechet_distance(b, a), rel=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    # Same covariance, mean shifted by d: the distance is |d|^2.
    shift = np.array([0.3, -0.4, 0.0, 0.0, 1.0, 0.0])
    moved = EmbeddingStats.from_embeddings(x + shift)
    assert frechet_distance(a, moved) == pytest.approx(float(shift @ shift), rel=1e-9)
    with pytest.raises(ValueError, match="dimensions"):
        frechet_distance(a, EmbeddingStats.from_embeddings(rng.normal(size=(10, 3))))
    with pytest.raises(ValueError):
        EmbeddingStats.from_embeddings(x[:1])


def test_fewer_embeddings_than_dimensions_use_the_small_eigenproblem_exactly():
    rng = np.random.default_rng(1)
    few = EmbeddingStats.from_embeddings(rng.normal(size=(24, 64)))  # rank 23 covariance, as a trial's clips
    many = EmbeddingStats.from_embeddings(rng.normal(size=(500, 64)) * 1.5)
    assert few.factor is not None and many.factor is None
    dense = EmbeddingStats(mean=few.mean, cov=few.cov, n=few.n)  # same statistics, no factor
    assert frechet_distance(few, many) == pytest.approx(frechet_distance(dense, many), rel=1e-7)
    assert frechet_distance(few, many) > 0


def _write_tracks(folder, seconds=3.0, rate=32000, count=2):
    folder.mkdir()
    t = np.arange(int(seconds * rate)) / rate
    for i in range(count):
        soundfile.write(folder / f"track{i}.wav", 0.3 * np.sin(2 * np.pi * (220 + 40 * i) * t), rate)
    return folder


def test_reference_is_embedded_once_then_read_from_the_cache(tmp_path, clap_scorer):
    folder = _write_tracks(tmp_path / "ref")
    first = load_reference(folder, clap_scorer, duration=1.0, cache_dir=tmp_path / "cache")
    assert first.files == 2 and first.excerpts == 6  # two 3 s files in 1 s excerpts
    assert first.digest == reference_digest(folder, clap_scorer.name, 1.0)
    assert len(list((tmp_path / "cache").glob("reference-*.npz"))) == 1

    class NoEmbedding:
        name = clap_scorer.name

        def audio_embeddings(self, *args, **kwargs):
            raise AssertionError("the cache should have been used")

    cached = load_reference(folder, NoEmbedding(), duration=1.0, cache_dir=tmp_path / "cache")
    np.testing.assert_allclose(cached.stats.cov, first.stats.cov)
    assert cached.digest == first.digest

    soundfile.write(folder / "track0.wav", np.zeros(32000 * 3), 32000)  # new content: a new digest
    assert reference_digest(folder, clap_scorer.name, 1.0) != first.digest
    assert reference_digest(folder, clap_scorer.name, 2.0) != reference_digest(folder, clap_scorer.name, 1.0)


def test_bad_reference_folders_are_refused_with_the_reason(tmp_path, clap_scorer):
    with pytest.raises(ValueError, match="does not exist"):
        load_reference(tmp_path / "missing", clap_scorer, duration=1.0, cache_dir=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no audio files"):
        load_reference(tmp_path / "empty", clap_scorer, duration=1.0, cache_dir=tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "song.wav").write_bytes(b"RIFF not really audio")
    with pytest.raises(ValueError, match=r"song\.wav"):
        load_reference(broken, clap_scorer, duration=1.0, cache_dir=tmp_path)
    short = _write_tracks(tmp_path / "short", seconds=1.5, count=1)
    with pytest.raises(ValueError, match="at least 2"):
        load_reference(short, clap_scorer, duration=1.0, cache_dir=tmp_path)


def test_evaluation_carries_the_distance_to_the_reference(debug_musicgen, clap_scorer):
    from objectives import DecodingParams, Evaluator
    from objectives.generation import TransformersMusicGen

    model, processor = debug_musicgen
    generator = TransformersMusicGen(model, processor, name="debug", max_batch=16)
    kwargs = dict(generator=generator, clap=clap_scorer, prompts=["a", "b"], replicates=2, duration=0.5)
    plain = Evaluator(**kwargs).evaluate(DecodingParams())
    assert plain.fad is None
    own = clap_scorer.audio_embeddings(plain.audio.audio, plain.audio.sample_rate).cpu().numpy()
    itself = Evaluator(**kwargs, reference=EmbeddingStats.from_embeddings(own)).evaluate(DecodingParams())
    shifted = EmbeddingStats.from_embeddings(own + 0.1)
    elsewhere = Evaluator(**kwargs, reference=shifted).evaluate(DecodingParams())
    assert itself.fad == pytest.approx(0.0, abs=1e-6)  # the same clips: no distance
    assert elsewhere.fad == pytest.approx(0.1**2 * own.shape[1], rel=1e-4)  # a mean shift of 0.1 per dimension
    with pytest.raises(ValueError, match="at least 2 clips"):
        Evaluator(**{**kwargs, "prompts": ["a"], "replicates": 1}, reference=shifted)
