from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tellgraph.extractors.nlp import RECIPIENT, SENDER, SENDER_COMPANY, NlpPipeline, Relations, TextInput


@pytest.fixture(scope="module")
def pipeline() -> NlpPipeline:
    nlp = NlpPipeline()
    nlp.nlp  # noqa: B018 - load spaCy once for the module
    return nlp


def relations(pipeline: NlpPipeline, text: str) -> Relations:
    [result] = pipeline.analyse([TextInput(key="m", text=text, timestamp=datetime(2026, 10, 7, tzinfo=UTC))])
    return result.relations


def test_x_introduced_me_to_y(pipeline: NlpPipeline) -> None:
    [intro] = relations(pipeline, "Hi Tom,\n\nDaniel Wu introduced me to Hana Sato last week.").introductions
    assert (intro.introducer, intro.person, intro.to) == ("Daniel Wu", SENDER, "Hana Sato")
    assert intro.evidence == "Daniel Wu introduced me to Hana Sato last week."
    assert 0 < intro.confidence <= 1


def test_passive_introduction(pipeline: NlpPipeline) -> None:
    [intro] = relations(pipeline, "I was introduced to Omar Haddad by Daniel Wu at the summit.").introductions
    assert (intro.introducer, intro.person, intro.to) == ("Daniel Wu", SENDER, "Omar Haddad")


def test_let_me_introduce_you(pipeline: NlpPipeline) -> None:
    [intro] = relations(pipeline, "Hana,\n\nLet me introduce you to Omar Haddad, who signs.").introductions
    assert (intro.introducer, intro.person, intro.to) == (SENDER, RECIPIENT, "Omar Haddad")


def test_id_like_to_introduce_x_to_the_recipient(pipeline: NlpPipeline) -> None:
    text = "Hana,\n\nI'd like to introduce Maya Chen, Head of Partnerships at Northlight Productions."
    found = relations(pipeline, text)
    [intro] = found.introductions
    assert (intro.introducer, intro.person, intro.to) == (SENDER, "Maya Chen", RECIPIENT)
    [job] = found.employments
    assert (job.person, job.company, job.title, job.started) == (
        "Maya Chen",
        "Northlight Productions",
        "Head of Partnerships",
        False,
    )


@pytest.mark.parametrize(
    "text",
    [
        "Daniel,\n\nCould you introduce me to Hana Sato when the time is right?",
        "Daniel has offered to introduce us to Omar Haddad at the summit.",
        "Would you be willing to introduce us to Omar Haddad?",
    ],
)
def test_requests_for_introductions_are_not_introductions(pipeline: NlpPipeline, text: str) -> None:
    assert relations(pipeline, text).introductions == ()


def test_joined_as(pipeline: NlpPipeline) -> None:
    [job] = relations(pipeline, "Jane Smith has joined Goldman Sachs as Head of Energy Trading.").employments
    assert (job.person, job.company, job.title, job.started) == (
        "Jane Smith",
        "Goldman Sachs",
        "Head of Energy Trading",
        True,
    )


def test_is_the_head_of_at(pipeline: NlpPipeline) -> None:
    text = "FYI: Kenji Watanabe is the head of broadcast operations at the Asian Football Confederation."
    [job] = relations(pipeline, text).employments
    assert (job.person, job.company, job.title) == (
        "Kenji Watanabe",
        "Asian Football Confederation",
        "head of broadcast operations",
    )


def test_title_at_company_apposition(pipeline: NlpPipeline) -> None:
    [job] = relations(pipeline, "Sarah Lee, VP of Marketing at Acme Corp, will join the call.").employments
    assert (job.person, job.company, job.title) == ("Sarah Lee", "Acme Corp", "VP of Marketing")


def test_our_title_and_who_runs(pipeline: NlpPipeline) -> None:
    [job] = relations(pipeline, "I'll bring Lucy Park, our Head of Production.").employments
    assert (job.person, job.company, job.title) == ("Lucy Park", SENDER_COMPANY, "Head of Production")
    [job] = relations(pipeline, "I've copied Grace, who runs our accounts day to day.").employments
    assert (job.person, job.company, job.title) == ("Grace", SENDER_COMPANY, None)
    assert job.role is not None and job.role.startswith("runs our accounts")


def test_departments_are_not_companies(pipeline: NlpPipeline) -> None:
    assert relations(pipeline, "Leo Marsh, Head of Business Affairs, owns the paperwork.").employments == ()


def test_evidence_is_capped(pipeline: NlpPipeline) -> None:
    text = "Jane Smith has joined Goldman Sachs as Head of Trading " + "and more " * 80 + "."
    for job in relations(pipeline, text).employments:
        assert len(job.evidence) <= 300
