"""Temporal backtest of tie strength on the Enron maildir: AUC and due-date error per cut date.

Reads the maildir with ``MaildirConnector`` (content-key dedupe, no store), then
for each cut date scores every pair from the mail before it and checks who talked
in the 30 days after (see :mod:`tellgraph.scoring.backtest` for the method).

    .venv/bin/python bench/backtest.py                 # reported cuts, both outcome definitions
    .venv/bin/python bench/backtest.py --tune          # also the tuning sweep on the early cuts
    .venv/bin/python bench/backtest.py --maildir PATH  # another maildir
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, save  # noqa: E402
from tellgraph.extractors.maildir import MaildirConnector  # noqa: E402
from tellgraph.graph.store import Interaction  # noqa: E402
from tellgraph.schema.model import Activity  # noqa: E402
from tellgraph.scoring.backtest import (  # noqa: E402
    PERSONAL_AUDIENCE,
    REPORT_CUTS,
    TUNING_CUTS,
    BacktestReport,
    run_backtest,
)
from tellgraph.scoring.backtest import interactions_from_activities as to_interactions  # noqa: E402
from tellgraph.scoring.config import ScoringConfig  # noqa: E402

DEFAULT_MAILDIR = ROOT.parent / "shared" / "data" / "enron" / "maildir"


def read(maildir: Path) -> tuple[list[Interaction], float]:
    """Every distinct message in the maildir, as interactions."""
    started = time.perf_counter()
    records = MaildirConnector(path=maildir).read(checkpoints={})
    interactions = to_interactions(r for r in records if isinstance(r, Activity))
    return interactions, time.perf_counter() - started


def tune(interactions: list[Interaction]) -> list[dict[str, Any]]:
    """The sweep the defaults were chosen from: curve shapes on the tuning cuts only (mean AUC, mean MAE)."""
    rows = []
    grid = itertools.product((2, 3, 5), (0.75, 1.0, 1.5), (0.5, 0.75, 1.0), (4.0, 8.0, 16.0), (4.0, 8.0, 16.0))
    for free, exponent, cc, volume, days in grid:
        config = ScoringConfig(
            free_recipients=free, broadcast_exponent=exponent, cc_weight=cc, volume_scale=volume, days_scale=days
        )
        results = run_backtest(interactions, cuts=TUNING_CUTS, config=config, labels=("personal",)).cuts
        rows.append(
            {
                "free_recipients": free,
                "broadcast_exponent": exponent,
                "cc_weight": cc,
                "volume_scale": volume,
                "days_scale": days,
                "mean_auc": round(float(np.mean([r.auc_strength for r in results])), 4),
                "min_auc": round(float(np.min([r.auc_strength for r in results])), 4),
            }
        )
    rows.sort(key=lambda r: -r["mean_auc"])
    return rows


def summary(report: BacktestReport, label: str) -> dict[str, Any]:
    """Figures of one outcome definition as plain data."""
    return {
        r.cut.date().isoformat(): {
            "candidates": r.candidates,
            "positives": r.positives,
            "auc_strength": round(r.auc_strength, 4),
            "auc_count": round(r.auc_count, 4),
            "auc_recency": round(r.auc_recency, 4),
            "due_pairs": r.due_pairs,
            "mae_due_days": round(r.mae_due_days, 2),
            "mae_naive_days": round(r.mae_naive_days, 2),
        }
        for r in report.results(label)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--maildir", type=Path, default=DEFAULT_MAILDIR)
    parser.add_argument("--tune", action="store_true", help="also run the tuning sweep on the early cut dates")
    args = parser.parse_args()
    info = machine()
    print("machine:", info)
    interactions, seconds = read(args.maildir)
    print(f"read {len(interactions):,} distinct messages from {args.maildir} in {seconds:.1f} s")
    started = time.perf_counter()
    tuning = run_backtest(interactions, cuts=TUNING_CUTS)
    report = run_backtest(interactions, cuts=REPORT_CUTS)
    scoring_seconds = time.perf_counter() - started
    print(f"scored {len(TUNING_CUTS) + len(REPORT_CUTS)} cut dates twice in {scoring_seconds:.1f} s\n")
    print(f"Outcome: a personal contact (reaching at most {PERSONAL_AUDIENCE} people) in the next 30 days.")
    print("\nReported cut dates:\n" + report.markdown("personal"))
    print("\nTuning cut dates (the defaults were chosen on these):\n" + tuning.markdown("personal"))
    print("\nOutcome: any contact in the next 30 days (newsletters and mass mail included).")
    print("\nReported cut dates:\n" + report.markdown("any"))
    figures: dict[str, Any] = {
        "machine": info,
        "messages": len(interactions),
        "read_seconds": round(seconds, 1),
        "scoring_seconds": round(scoring_seconds, 2),
        "personal": summary(report, "personal"),
        "any": summary(report, "any"),
        "tuning_personal": summary(tuning, "personal"),
    }
    if args.tune:
        rows = tune(interactions)
        default = ScoringConfig()
        print("\nTuning sweep (tuning cuts only), best first:")
        for row in rows[:10]:
            print("  ", row)
        rank = next(
            i
            for i, r in enumerate(rows)
            if (r["free_recipients"], r["broadcast_exponent"], r["cc_weight"], r["volume_scale"], r["days_scale"])
            == (
                default.free_recipients,
                default.broadcast_exponent,
                default.cc_weight,
                default.volume_scale,
                default.days_scale,
            )
        )
        print(f"the defaults rank {rank + 1} of {len(rows)}: {rows[rank]}")
        figures["tuning_sweep"] = rows
    print(f"\nfigures saved to {save('backtest', figures)}")


if __name__ == "__main__":
    main()
