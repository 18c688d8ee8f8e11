"""Train independent models side by side, sharing the cores, with the same results as one after another.

The digits VAEs train fastest on one intra-op thread (``helpers.vae.train``), which leaves the second core of a
laptop idle. ``side_by_side`` runs several such trainings in Python threads instead: torch releases the GIL
inside its kernels and the backward pass, so the trainings overlap for much of each step (notebook 07's two VAEs:
10.0 s side by side against 13.4 s one after the other on two cores, ``tests/benchmarks/side_by_side_speed.py``).
Each training owns its model, optimiser and random generator and runs on one intra-op thread, so each result is
bitwise the one it gives when run alone (``tests/test_parallel.py`` checks this).

Usage::

    from functools import partial
    histories = side_by_side({name: partial(train_variant, model, x_train, epochs=100, ...)
                              for name, model in models.items()})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

__all__ = ["side_by_side"]

T = TypeVar("T")


def side_by_side(jobs: Mapping[str, Callable[[], T]], *, workers: int | None = None) -> dict[str, T]:
    """Run the zero-argument callables in ``jobs`` concurrently, each on one intra-op thread, and return their
    results under the same names, in the same order.

    At most ``workers`` run at a time. The default starts them all at once and lets the operating system share
    the cores: with unequal jobs that finishes sooner than a fixed number of slots (notebook 10's three categorical
    VAEs on two cores: 16.5 s against 18.8 s in two slots, one measurement).

    Every job must train its own model with its own generator (``train_variant``, ``train_categorical``), and
    must not ask for more than one intra-op thread: torch's thread count is shared by the whole process.
    The first job to raise stops the jobs not yet started, and its exception is raised here; so does an
    interrupt, once the jobs already running have finished (a thread cannot be stopped halfway, and a model
    must not change after this function has returned).
    """
    if not isinstance(jobs, Mapping) or not jobs:
        raise ValueError(f"jobs must be a non-empty mapping of names to callables, got {jobs!r}")
    for name, job in jobs.items():
        if not callable(job):
            raise ValueError(f"jobs[{name!r}] must be a callable taking no arguments, got {job!r}")
    if workers is None:
        workers = len(jobs)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            futures = {name: pool.submit(job) for name, job in jobs.items()}
            try:
                return {name: future.result() for name, future in futures.items()}
            except BaseException:
                for future in futures.values():
                    future.cancel()
                raise
    finally:
        torch.set_num_threads(threads)
