import numpy as np
import pytest

from optimizer.service import ArmStats, feedback_reward, thompson_choice


def test_feedback_maps_to_unit_rewards():
    assert feedback_reward(rating=1) == 0.0
    assert feedback_reward(rating=10) == 1.0
    assert feedback_reward(rating=4) == pytest.approx(1 / 3)
    assert feedback_reward(thumbs="up") == 1.0 and feedback_reward(thumbs="down") == 0.0
    for bad in ({"rating": 0}, {"rating": 11}, {"rating": 5, "thumbs": "up"}, {}, {"thumbs": "sideways"},
                {"rating": True}):
        with pytest.raises(ValueError):
            feedback_reward(**bad)


def test_posterior_and_standard_error():
    rewards = np.array([1.0, 0.0, 1.0, 1.0, 0.5])
    arm = ArmStats(trial=3, reward_sum=rewards.sum(), reward_sq_sum=(rewards ** 2).sum(), n=len(rewards))
    assert (arm.alpha, arm.beta) == (1 + 3.5, 1 + 1.5)
    assert arm.mean == pytest.approx(rewards.mean())
    assert arm.stderr == pytest.approx(rewards.std(ddof=1) / np.sqrt(len(rewards)))
    assert ArmStats(trial=0).mean is None and ArmStats(trial=0, n=1, reward_sum=1.0).stderr is None


def test_thompson_prefers_the_better_arm_but_still_explores_uncertain_ones():
    rng = np.random.default_rng(0)
    good = ArmStats(trial=0, reward_sum=40, n=50)
    bad = ArmStats(trial=1, reward_sum=10, n=50)
    new = ArmStats(trial=2)
    picks = np.bincount([thompson_choice([good, bad, new], rng) for _ in range(2000)], minlength=3)
    assert picks[0] > 0.7 * 2000
    assert picks[1] < 0.01 * 2000
    assert picks[2] > 0  # the untried arm keeps some probability
    with pytest.raises(ValueError):
        thompson_choice([], rng)
