"""One way to match a wrong answer to its hint: every checker passes its slips to compare() (issue 12).

A checker that returns its own failed ExerciseResult, or matches answers with matches()/np.isclose loops, would
bypass the order compare() guarantees (not attempted yet, correct, the exercise's slips, shape, NaN, ...).
"""

import re
from pathlib import Path

import numpy as np
import pytest

from helpers.exercises._feedback import compare

CHECKERS = sorted(p for p in (Path(__file__).parents[1] / "helpers" / "exercises").glob("*.py")
                  if p.name not in ("_feedback.py", "__init__.py", "reveal.py"))


@pytest.mark.parametrize("path", CHECKERS, ids=lambda p: p.stem)
def test_checkers_match_slips_only_through_compare(path):
    source = path.read_text(encoding="utf-8")
    assert not re.search(r"ExerciseResult\([^)]*\bFalse\b", source), f"{path.name}: return a slip to compare()"
    own_loop = re.search(r"\bmatches\(|_first_slip|for value, hint in \w+:", source)
    assert not own_loop, f"{path.name}: pass the slips to compare(slips=...)"


def test_compare_diagnoses_in_order():
    expected = np.array([1.0, 2.0])
    slips = [(np.array([[1.0, 2.0], [3.0, 4.0]]), "one per pair"), (expected, "never shown: equals the reference"),
             (lambda ans: ans.shape == (3,), "three values"), (None, "skipped"), (np.array([2.0, 4.0]), "doubled")]
    assert compare("x", ..., expected, what="x", slips=slips).message.startswith("not attempted yet")
    assert compare("x", [1.0, 2.0], expected, what="x", slips=slips).passed
    assert compare("x", [[1.0, 2.0], [3.0, 4.0]], expected, what="x", slips=slips).message == "one per pair"
    assert compare("x", [0.0, 0.0, 0.0], expected, what="x", slips=slips).message == "three values"
    assert compare("x", [2.0, 4.0], expected, what="x", slips=slips).message == "doubled"
    assert "should have shape" in compare("x", [1.0], expected, what="x", slips=slips).message
    assert "wrong sign" in compare("x", [-1.0, -2.0], expected, what="x", slips=slips).message
