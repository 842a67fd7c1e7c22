"""How much say a job title suggests: ranks decision-makers at a target company.

A title scores by its seniority word (chief, VP, director, head...) plus a bonus
for the functions that sign or steer deals like the goal's (commercial, media
rights, partnerships, procurement...). Titles are matched on whole words so that
"Directorate assistant" is not a director.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

# (pattern, weight, label): the highest seniority match wins.
SENIORITY: tuple[tuple[str, float, str], ...] = (
    (r"\b(ceo|cfo|coo|cco|cmo|cto|chief|president|founder|owner|chair(man|woman|person)?)\b", 1.0, "executive"),
    (
        r"\b(svp|evp|vp|vice[- ]president|general manager|managing (director|partner)|partner|secretary[- ]general)\b",
        0.9,
        "vice-president",
    ),
    (r"\b(director|head)\b", 0.85, "director"),
    (r"\b(lead|principal|senior manager)\b", 0.65, "lead"),
    (r"\b(manager)\b", 0.55, "manager"),
    (r"\b(senior|specialist|officer|executive|producer)\b", 0.4, "staff"),
)

FUNCTIONS: tuple[tuple[str, str], ...] = (
    (r"\bcommercial\b", "commercial"),
    (r"\bmedia rights\b|\brights\b", "media rights"),
    (r"\bpartnerships?\b", "partnerships"),
    (r"\bbusiness development\b|\bsales\b", "sales"),
    (r"\bprocurement\b|\bpurchasing\b|\bsourcing\b", "procurement"),
    (r"\bacquisitions?\b|\bcontent\b", "acquisitions"),
    (r"\bbroadcast\b|\bmedia\b", "media"),
    (r"\bmarketing\b|\bsponsorship\b", "marketing"),
    (r"\bfinance\b|\bbudget\b", "finance"),
)
FUNCTION_BONUS = 0.1
DECISION_MAKER_SCORE = 0.8
"""From this score a person is shown as a decision-maker, below it as an influencer."""


class RoleScore(BaseModel):
    """How senior a title reads and why."""

    score: float
    seniority: str | None
    functions: list[str]

    @property
    def decision_maker(self) -> bool:
        """Senior enough to decide or sign."""
        return self.score >= DECISION_MAKER_SCORE

    def explain(self, title: str | None) -> str:
        """The score in words."""
        if not title:
            return "no known title"
        parts = [f"{self.seniority}-level title" if self.seniority else "no seniority word"]
        if self.functions:
            parts.append("in " + ", ".join(self.functions))
        return f"'{title}': " + " ".join(parts) + f" (role score {self.score:.2f})"


def role_score(title: str | None) -> RoleScore:
    """Score a job title between 0 and 1."""
    if not title:
        return RoleScore(score=0.0, seniority=None, functions=[])
    text = title.casefold()
    seniority, base = None, 0.2
    for pattern, weight, label in SENIORITY:
        if re.search(pattern, text):
            seniority, base = label, weight
            break
    functions = [label for pattern, label in FUNCTIONS if re.search(pattern, text)]
    score = min(1.0, base + (FUNCTION_BONUS if functions else 0.0))
    return RoleScore(score=round(score, 3), seniority=seniority, functions=functions)
