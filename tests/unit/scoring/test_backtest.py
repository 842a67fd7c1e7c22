"""Validation on real history: the Enron maildir, scored before each cut date, against what followed.

The method and the figures are in tellgraph/scoring/backtest.py and bench/backtest.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tellgraph.extractors.maildir import MaildirConnector
from tellgraph.schema.model import Activity
from tellgraph.scoring.backtest import REPORT_CUTS, interactions_from_activities, roc_auc, run_backtest
from tests.unit.scoring.helpers import mail


def test_roc_auc_counts_ties_half() -> None:
    assert roc_auc(np.array([0.1, 0.4, 0.35, 0.8]), [False, False, True, True]) == pytest.approx(0.75)
    assert roc_auc(np.array([1.0, 1.0]), [True, False]) == pytest.approx(0.5)
    assert np.isnan(roc_auc(np.array([1.0, 2.0]), [True, True]))


def test_interactions_from_activities_dedupe_by_key() -> None:
    from tellgraph.schema.model import Channel, Participant, Role

    activity = Activity(
        channel=Channel.EMAIL,
        source="t",
        source_key="a/1",
        key="k1",
        timestamp=mail("a", ["b"], days=0).timestamp,
        participants=[
            Participant(role=Role.FROM, email="Ann@X.example"),
            Participant(role=Role.TO, email="bo@x.example"),
            Participant(role=Role.CC, email="cy@x.example"),
            Participant(role=Role.MENTIONED, email="dee@x.example"),
        ],
    )
    copy = activity.model_copy(update={"source_key": "b/1"})
    [interaction] = interactions_from_activities([activity, copy])
    assert interaction.senders == ["email:ann@x.example"]
    assert interaction.recipients == [("email:bo@x.example", "TO"), ("email:cy@x.example", "CC")]


@pytest.mark.slow
def test_enron_backtest_meets_the_targets(shared_data: Path) -> None:
    maildir = shared_data / "enron" / "maildir"
    if not maildir.is_dir():
        pytest.skip(f"no Enron maildir at {maildir}")
    records = MaildirConnector(path=maildir).read(checkpoints={})
    interactions = interactions_from_activities(r for r in records if isinstance(r, Activity))
    assert 5_700 <= len(interactions) <= 5_900  # distinct messages (README: 5,847 by From/Date/Subject/body)
    report = run_backtest(interactions, cuts=REPORT_CUTS)
    personal = report.results("personal")
    assert len(personal) == len(REPORT_CUTS)
    for r in personal:
        assert r.auc_strength >= 0.85, r
        assert r.mae_due_days < r.mae_naive_days, r
    beats_both = [r for r in personal if r.auc_strength > max(r.auc_count, r.auc_recency)]
    assert len(beats_both) >= 3, report.markdown()
    # With any contact (newsletters included) as the outcome, strength still beats message count on average.
    anything = report.results("any")
    assert np.mean([r.auc_strength for r in anything]) > np.mean([r.auc_count for r in anything])
