"""Temporal backtest: does strength measured before a cut date predict who talks after it?

For each cut date T the scores are computed from communications strictly before
T (``as_of = T``), and compared with what happened in ``[T, T + horizon)``:

- **Candidates** are every pair with at least one contact before T (every KNOWS
  edge that would exist at T, newsletters included).
- A candidate is **positive** when the pair has a *personal* contact in the
  horizon: a communication between them (by the ``interaction_count`` rules)
  that reached at most :data:`PERSONAL_AUDIENCE` other people. Mass mail is
  excluded from the outcome because a tie score should predict people talking,
  not the next issue of a mailing list; the same figures with *any* contact as
  the outcome are reported beside them (``label="any"``).
- **ROC AUC** of three rankings: the strength score, and two baselines computed
  in the same run, the message count before T and recency alone (time since the
  last contact).
- **Due-date error**: for pairs with a rhythm (contact on at least two days
  before T) whose next personal contact falls within ``due_horizon_days``, the
  mean absolute error in days between ``next_contact_due`` and that contact,
  against the naive baseline "last contact + median gap".

Weights and curve shapes were tuned on :data:`TUNING_CUTS` only (their outcome
windows end before the first reported cut); :data:`REPORT_CUTS` are reported.

Nothing here touches a store: activities become interactions keyed by identity
(``email:...``), so the backtest runs in seconds once the maildir is parsed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from tellgraph.graph.store import Interaction
from tellgraph.schema.model import Activity, Role
from tellgraph.scoring.config import ScoringConfig
from tellgraph.scoring.contacts import ContactTable, FloatArray, build_contacts
from tellgraph.scoring.health import expected_gaps
from tellgraph.scoring.sequence import DAY, prepare
from tellgraph.scoring.strength import score_contacts

PERSONAL_AUDIENCE = 5
"""A communication that reached at most this many people besides the sender is personal."""
TUNING_CUTS: tuple[datetime, ...] = tuple(datetime(2000, m, 1, tzinfo=UTC) for m in (4, 5, 6, 7, 8))
REPORT_CUTS: tuple[datetime, ...] = tuple(
    datetime(y, m, 1, tzinfo=UTC) for y, m in ((2000, 10), (2001, 1), (2001, 4), (2001, 7), (2001, 10))
)

_SENDER_ROLES = frozenset({Role.FROM, Role.AUTHOR, Role.ORGANIZER})
_RECIPIENT_ROLES = {Role.TO: "TO", Role.CC: "CC", Role.BCC: "BCC"}
_PARTICIPANT_ROLES = frozenset({Role.ATTENDEE, Role.SPEAKER})


def interactions_from_activities(activities: Iterable[Activity]) -> list[Interaction]:
    """Communications as scoring sees them, without a store: people are their identity keys.

    Duplicates (the same content key read from several folders) are kept once,
    the first copy winning, exactly as ingest does.
    """
    seen: dict[str, Interaction] = {}
    for activity in activities:
        if activity.key in seen:
            continue
        senders: set[str] = set()
        recipients: set[tuple[str, str]] = set()
        participants: set[str] = set()
        for participant in activity.participants:
            identity = participant.identity
            if identity is None:
                continue
            if participant.role in _SENDER_ROLES:
                senders.add(identity)
            elif participant.role in _RECIPIENT_ROLES:
                recipients.add((identity, _RECIPIENT_ROLES[participant.role]))
            elif participant.role in _PARTICIPANT_ROLES:
                participants.add(identity)
        seen[activity.key] = Interaction(
            id=activity.key,
            timestamp=activity.timestamp,
            channel=activity.channel.value,
            thread_key=activity.thread_key,
            senders=sorted(senders),
            recipients=sorted(recipients),
            participants=sorted(participants),
        )
    return list(seen.values())


def roc_auc(scores: FloatArray, labels: Sequence[bool] | np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half); NaN without both classes."""
    y = np.asarray(labels, dtype=np.bool_)
    positives, negatives = int(y.sum()), int((~y).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(scores.shape[0])
    # Average ranks over ties: each run of equal scores shares the mean of its positions.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    mean_rank = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(mean_rank, counts)
    rank_sum = ranks[y].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


@dataclass
class CutResult:
    """The figures for one cut date."""

    cut: datetime
    label: str
    candidates: int
    positives: int
    auc_strength: float
    auc_count: float
    auc_recency: float
    due_pairs: int
    mae_due_days: float
    mae_naive_days: float


@dataclass
class BacktestReport:
    """Every cut date's figures and how they were obtained."""

    horizon_days: int
    due_horizon_days: int
    communications: int
    cuts: list[CutResult] = field(default_factory=list)

    def results(self, label: str = "personal") -> list[CutResult]:
        """The figures for one outcome definition (``personal`` or ``any``)."""
        return [r for r in self.cuts if r.label == label]

    def markdown(self, label: str = "personal") -> str:
        """The figures for one outcome definition as a markdown table."""
        lines = [
            f"| cut date | candidate pairs | positives (next {self.horizon_days} d) | AUC strength | AUC count | "
            "AUC recency | due-date pairs | MAE due (days) | MAE median gap (days) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in self.results(label):
            lines.append(
                f"| {r.cut.date().isoformat()} | {r.candidates} | {r.positives} | **{r.auc_strength:.3f}** | "
                f"{r.auc_count:.3f} | {r.auc_recency:.3f} | {r.due_pairs} | **{r.mae_due_days:.1f}** | "
                f"{r.mae_naive_days:.1f} |"
            )
        return "\n".join(lines)


def _mean_abs_days(predicted: FloatArray, actual: FloatArray) -> float:
    return float(np.mean(np.abs(predicted - actual)) / DAY) if predicted.shape[0] else float("nan")


def evaluate_cut(
    table: ContactTable,
    *,
    cut: datetime,
    config: ScoringConfig,
    label: str = "personal",
    horizon_days: int = 30,
    due_horizon_days: int = 90,
) -> CutResult:
    """Score with what was known before ``cut`` and compare with what followed.

    Args:
        table: every contact, before and after the cut.
        cut: the moment to score at.
        config: the formula.
        label: ``personal`` (contacts reaching at most :data:`PERSONAL_AUDIENCE` people) or ``any``.
        horizon_days: the outcome window for the AUC.
        due_horizon_days: the window in which the next contact must fall for the due-date error.
    """
    if label not in ("personal", "any"):
        raise ValueError(f"unknown outcome {label!r}: use 'personal' or 'any'")
    past = table.before(cut)
    start = cut.timestamp()
    index = {pair: i for i, pair in enumerate(past.pairs)}
    # The first (personal) contact of each candidate pair at or after the cut.
    after = table.ts >= start
    if label == "personal":
        after &= table.audience <= PERSONAL_AUDIENCE
    next_contact = np.full(past.pair_count, np.inf)
    for pair_number, ts in zip(table.pair[after].tolist(), table.ts[after].tolist(), strict=True):
        i = index.get(table.pairs[pair_number])
        if i is not None and ts < next_contact[i]:
            next_contact[i] = ts
    wait_days = (next_contact - start) / DAY
    labels = wait_days < horizon_days

    prepared = prepare(past)
    scores = score_contacts(prepared, past.pairs, as_of=cut, config=config)
    age = (start - scores.last_ts) / DAY
    expected, median, gaps = expected_gaps(prepared, config=config)
    has_due = (gaps >= 1) & (wait_days < due_horizon_days)
    actual = next_contact[has_due]
    return CutResult(
        cut=cut,
        label=label,
        candidates=past.pair_count,
        positives=int(labels.sum()),
        auc_strength=roc_auc(scores.strength, labels),
        auc_count=roc_auc(scores.interaction_count.astype(np.float64), labels),
        auc_recency=roc_auc(-age, labels),
        due_pairs=int(has_due.sum()),
        mae_due_days=_mean_abs_days((scores.last_ts + expected * DAY)[has_due], actual),
        mae_naive_days=_mean_abs_days((scores.last_ts + median * DAY)[has_due], actual),
    )


def run_backtest(
    interactions: Iterable[Interaction],
    *,
    cuts: Sequence[datetime] = REPORT_CUTS,
    config: ScoringConfig | None = None,
    labels: Sequence[str] = ("personal", "any"),
    horizon_days: int = 30,
    due_horizon_days: int = 90,
) -> BacktestReport:
    """Evaluate every cut date, for every outcome definition, on one set of communications."""
    config = config or ScoringConfig()
    table, stats = build_contacts(interactions, config=config)
    report = BacktestReport(
        horizon_days=horizon_days, due_horizon_days=due_horizon_days, communications=stats.communications
    )
    for label in labels:
        for cut in cuts:
            report.cuts.append(
                evaluate_cut(
                    table,
                    cut=cut,
                    config=config,
                    label=label,
                    horizon_days=horizon_days,
                    due_horizon_days=due_horizon_days,
                )
            )
    return report


def month_starts(first: datetime, last: datetime) -> list[datetime]:
    """The first day of every month from ``first`` to ``last`` (for dense tuning sweeps)."""
    out = []
    current = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while current <= last:
        out.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return out
