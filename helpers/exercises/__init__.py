"""Checkers for the "try it" exercises: ``check_<name>(answer)`` says what is right, or hints at what is wrong.

Each notebook's checkers live in their own submodule and are re-exported here, so a notebook calls
``from helpers.exercises import check_<name>``.
"""

from helpers.exercises._feedback import ExerciseResult
from helpers.exercises.reveal import reveal_solution
from helpers.exercises.notation import *  # noqa: F401,F403 (notebook 00)
from helpers.exercises.marginal import *  # noqa: F401,F403 (notebook 01)
from helpers.exercises.monte_carlo import *  # noqa: F401,F403 (notebook 02)
from helpers.exercises.gradients import *  # noqa: F401,F403 (notebook 03)
from helpers.exercises.elbo import *  # noqa: F401,F403 (notebook 04)
from helpers.exercises.vae import *  # noqa: F401,F403 (notebook 05)
from helpers.exercises.discrete import *  # noqa: F401,F403 (notebook 06)
from helpers.exercises.closing_gap import *  # noqa: F401,F403 (notebooks 07-10)
from helpers.exercises.collapse import *  # noqa: F401,F403 (notebook 11)

__all__ = ["ExerciseResult", "reveal_solution"]
