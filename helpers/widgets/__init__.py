"""The course's interactive explorers, one module each, one design (``_base.Explorer``): each displays itself,
keeps its current numbers in ``numbers`` and exposes its controls as attributes, so a test can drive it.

- ``elbo_gap``: ``ElboGapExplorer``, move a Gaussian q and watch log p(x) = ELBO + KL(q || p(z|x)) (04).
- ``monte_carlo``: ``NaiveMCExplorer``, repeated naive estimates log p_hat(x) against the exact value (02).
"""

from helpers.widgets.elbo_gap import (
    CORR_RANGE,
    LOG_STD_RANGE,
    MEAN_RANGE,
    MODEL_NAMES,
    Choice,
    ElboGapExplorer,
    ExplorerModel,
    default_choices,
)
from helpers.widgets.monte_carlo import M_OPTIONS, NaiveMCExplorer

__all__ = ["ElboGapExplorer", "NaiveMCExplorer", "ExplorerModel", "Choice", "default_choices", "MODEL_NAMES",
           "MEAN_RANGE", "LOG_STD_RANGE", "CORR_RANGE", "M_OPTIONS"]
