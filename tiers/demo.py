"""The demo's tier evaluation: this quarter's run over the demo data, done at once (not
through the Celery queue), so that `make run` shows scores and proposals."""

from __future__ import annotations

from datetime import date

from channelhub.lib.periods import Quarter

from .engine import evaluate_run
from .models import EvaluationRun
from .services import scoring_model


def seed_evaluation(*, today: date) -> int:
    """Returns how many proposals the run made (none when a run is already there)."""
    if EvaluationRun.objects.exists():
        return 0
    quarter = Quarter.of(today)
    run = EvaluationRun.objects.create(
        year=quarter.year, quarter=quarter.number, model=scoring_model().snapshot()
    )
    return evaluate_run(run).proposals
