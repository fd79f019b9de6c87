"""Every refusal a reporter can meet has words of its own, in their language."""

from __future__ import annotations

import pytest

from advisory.reporter.refusals import intake_refusal, sealed_refusal, slot_refusal
from advisory.services.callbacks import SlotProblem, SlotUnavailable
from advisory.services.intake import IntakeError, IntakeProblem
from advisory.services.sealed_input import SealedInputRefused, SealedProblem

REFUSALS = [
    *((intake_refusal, IntakeError(problem)) for problem in IntakeProblem),
    *((sealed_refusal, SealedInputRefused(problem)) for problem in SealedProblem),
    *((slot_refusal, SlotUnavailable(problem)) for problem in SlotProblem),
]


@pytest.mark.parametrize("language", ["en", "nb"])
def test_each_problem_has_its_own_words(app, language):
    with app.test_request_context(headers={"Accept-Language": language}):
        texts = [explain(error) for explain, error in REFUSALS]
    assert all(texts)
    assert len(set(texts)) == len(REFUSALS)
