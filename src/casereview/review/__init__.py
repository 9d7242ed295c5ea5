"""Review stage: missed-opportunity indicators, the explained triage queue and the workflow.

`build_review` recomputes indicators and upserts review items without touching human work;
`workflow` and `second_review` hold the transitions the web app and the CLI call.
"""

from __future__ import annotations

from casereview.review.second_review import (
    assign_second_reviewer,
    draw_second_reviews,
    item_history,
    second_review,
    second_review_agreement,
)
from casereview.review.workflow import (
    Transition,
    assign,
    decide,
    reopen,
    return_decision,
    sign_off,
    start_review,
)

__all__ = [
    "Transition",
    "assign",
    "assign_second_reviewer",
    "decide",
    "draw_second_reviews",
    "item_history",
    "reopen",
    "return_decision",
    "second_review",
    "second_review_agreement",
    "sign_off",
    "start_review",
]
