"""helpers.parallel.side_by_side: the same models as one training after another, and clear errors."""

from functools import partial

import numpy as np
import pytest
import torch

from helpers.categorical_vae import CategoricalVAE, train_categorical
from helpers.data import load_digits_binarized
from helpers.parallel import side_by_side
from helpers.vae_variants import VariantVAE, train_variant

X_TRAIN = load_digits_binarized()[0][:300]


def _models():
    models = {}
    for family in ("diagonal", "full"):
        torch.manual_seed(0)
        models[family] = VariantVAE(64, 2, (32, 16), family=family)
    torch.manual_seed(0)
    models["categorical"] = CategoricalVAE(64, 2, 3, (32, 16))
    return models


def _jobs(models):
    jobs = {family: partial(train_variant, models[family], X_TRAIN, epochs=3, batch_size=32, lr=3e-3,
                            lr_final=3e-4, seed=1) for family in ("diagonal", "full")}
    jobs["categorical"] = partial(train_categorical, models["categorical"], X_TRAIN, estimator="score", epochs=3,
                                  batch_size=32, lr=3e-3, lr_final=3e-4, seed=1, x_valid=X_TRAIN[:50])
    return jobs


def test_side_by_side_gives_bitwise_the_models_of_one_training_after_another():
    threads = torch.get_num_threads()
    alone, together = _models(), _models()
    torch.set_num_threads(1)  # what each job runs on inside side_by_side
    try:
        alone_histories = {name: job() for name, job in _jobs(alone).items()}
    finally:
        torch.set_num_threads(threads)
    together_histories = side_by_side(_jobs(together))  # all three at once
    assert list(together_histories) == ["diagonal", "full", "categorical"]  # the order of the jobs
    assert torch.get_num_threads() == threads  # restored
    for name in alone:
        for (key, a), b in zip(alone[name].state_dict().items(), together[name].state_dict().values(), strict=True):
            assert torch.equal(a, b), (name, key)
        assert alone_histories[name].objective == together_histories[name].objective, name
    assert alone_histories["categorical"].valid_elbo == together_histories["categorical"].valid_elbo
    # The jobs really trained: the objective moved.
    assert not np.allclose(together_histories["diagonal"].objective[0], together_histories["diagonal"].objective[-1])


def test_side_by_side_raises_a_job_error_and_restores_threads():
    threads = torch.get_num_threads()

    def broken():
        raise RuntimeError("broken on purpose")

    with pytest.raises(RuntimeError, match="broken on purpose"):
        side_by_side({"ok": lambda: 1, "broken": broken})
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize("jobs", [{}, [lambda: 1], {"a": 3}])
def test_side_by_side_rejects_bad_jobs(jobs):
    with pytest.raises(ValueError, match="jobs"):
        side_by_side(jobs)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True])
def test_side_by_side_rejects_bad_workers(workers):
    with pytest.raises(ValueError, match="workers"):
        side_by_side({"a": lambda: 1}, workers=workers)
