"""extend_stride as a search dimension (clips past 30 s): suggested in range, enqueued back, fixed by default."""

import optuna
import pytest

from objectives import DecodingParams
from optimizer.search._space import SearchSpace


def test_extend_stride_is_fixed_at_18_unless_searched():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    fixed = SearchSpace().suggest(study.ask())
    assert fixed.extend_stride == 18.0
    space = SearchSpace(extend_stride=(10.0, 24.0))
    values = [space.suggest(study.ask()).extend_stride for _ in range(20)]
    assert all(10.0 <= v <= 24.0 for v in values) and len(set(values)) > 1
    params = DecodingParams(temperature=1.0, top_k=250, extend_stride=12.0)
    assert space.trial_params(params)["extend_stride"] == 12.0
    with pytest.raises(ValueError, match=r"extend_stride=26\.0 lies outside"):
        space.trial_params(DecodingParams(extend_stride=26.0))
    with pytest.raises(ValueError, match="extend_stride range"):
        SearchSpace(extend_stride=(10.0, 30.0))
    assert SearchSpace().with_overrides({"extend_stride": [12, 20]}).extend_stride == (12, 20)
