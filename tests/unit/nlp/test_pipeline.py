from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from tellgraph.extractors.nlp import NlpPipeline, PhraseVocabulary, TextInput, clean_text, guess_language, load_model
from tellgraph.extractors.nlp.pipeline import MAX_NLP_CHARS, strip_subject

WHEN = datetime(2026, 10, 7, 8, 20, tzinfo=UTC)

REPLY_WITH_QUOTE = """Leo,

The NDA is standard. Section 4.2 is the problem.

Clara

Clara Jensen
Partner, Harbour Lane LLP
+44 20 7946 0862

On Mon, 7 Sep 2026 at 10:30, Leo Marsh <leo.marsh@northlight.tv>
wrote:
> Clara,
>
> Could you review the AFC tender NDA?
"""

OUTLOOK_REPLY = """Sounds good, see you then.

-----Original Message-----
From: Kitchen, Louise
Sent: Monday, May 07, 2001 9:12 AM
To: Lavorato, John
Subject: Offsite

Can we meet at the Houstonian?"""

OUTLOOK_HEADER_BLOCK = """Agreed.

________________________________
From: Jeff Dasovich
Sent: Tuesday, June 5, 2001 8:00 AM
To: Steven Kean
Subject: Re: California

Long quoted text about California."""

LOTUS_NOTES = """Thanks.  DF


"Tony Clark" <ajc@infohwy.com> on 03/20/2001 09:25:35 AM
To: <dfossum@enron.com>
cc:
Subject: Press release

Old text."""

ENRON_FORWARD = """fyi--please keep me from getting disbarred.  Df
---------------------- Forwarded by Drew Fossum/ET&S/Enron on 06/29/2000
02:15 PM ---------------------------

IT@dcbar.org on 06/29/2000 12:54:42 PM
Important Bar news."""


@pytest.fixture(scope="module")
def pipeline() -> NlpPipeline:
    nlp = NlpPipeline()
    nlp.nlp  # noqa: B018 - load spaCy once for the module
    return nlp


@pytest.mark.parametrize(
    ("text", "kept", "dropped"),
    [
        (REPLY_WITH_QUOTE, "Section 4.2 is the problem.", "Could you review"),
        (OUTLOOK_REPLY, "Sounds good", "Houstonian"),
        (OUTLOOK_HEADER_BLOCK, "Agreed.", "California"),
        (LOTUS_NOTES, "Thanks.", "Press release"),
        (ENRON_FORWARD, "disbarred", "Bar news"),
    ],
)
def test_clean_text_cuts_quoted_history(text: str, kept: str, dropped: str) -> None:
    cleaned = clean_text(text)
    assert kept in cleaned.body
    assert dropped not in cleaned.body
    assert dropped not in cleaned.signature
    assert not cleaned.truncated


def test_clean_text_keeps_the_signature_apart() -> None:
    cleaned = clean_text(REPLY_WITH_QUOTE.replace("\n", "\r\n"))
    assert "Harbour Lane" not in cleaned.body
    assert "Harbour Lane LLP" in cleaned.signature
    assert "+44 20 7946 0862" in cleaned.signature


def test_clean_text_caps_and_flags_long_bodies() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 25_000  # ~1.1 MB
    started = time.perf_counter()
    cleaned = clean_text(text)
    assert time.perf_counter() - started < 5
    assert cleaned.truncated
    assert len(cleaned.body) <= MAX_NLP_CHARS
    assert cleaned.chars > MAX_NLP_CHARS


def test_clean_text_of_nothing() -> None:
    assert clean_text("").body == ""
    assert clean_text("> only\n> quoted\n").body == ""


def test_strip_subject() -> None:
    assert strip_subject("RE: FW: [ops] AFC rights package") == "AFC rights package"
    assert strip_subject(None) == ""


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Can you send the production budget by Friday? Leo needs it for the insurance section.", "en"),
        ("ok thanks", "en"),
        ("Vielen Dank für die Unterlagen. Wir melden uns bis Freitag mit der Entscheidung bei Ihnen.", "und"),
        ("お世話になっております。来週の会議の資料をお送りします。よろしくお願いいたします。", "und"),
        ("Merci pour votre message, nous vous répondrons dans les plus brefs délais avec une proposition.", "und"),
        ("12345 67890", "und"),
        ("", "und"),
    ],
)
def test_guess_language(text: str, language: str) -> None:
    assert guess_language(text) == language


def test_model_loads_once_per_process(pipeline: NlpPipeline) -> None:
    assert load_model() is load_model()
    assert pipeline.nlp is load_model()


def test_analyse_demo_message(pipeline: NlpPipeline) -> None:
    text = (
        "Priya,\n\nCan you send the production budget by Friday? Leo needs it for the insurance section, and I want "
        "to review it before we give Hana a range.\n\nThanks,\n\nTom\n\nTom Okafor\n"
        "Chief Executive Officer, Northlight Productions\n+44 20 7946 0101"
    )
    [result] = pipeline.analyse(
        [
            TextInput(
                key="m1",
                text=text,
                subject="Production budget for the AFC tender",
                timestamp=WHEN,
                sender_name="Tom Okafor",
            )
        ]
    )
    assert result.key == "m1"
    assert result.language == "en"
    assert result.sentiment is not None
    assert [item.render() for item in result.actions] == ["Send the production budget (due 2026-10-09)"]
    assert {(p.kind, p.name) for p in result.topics} >= {("project", "AFC tender"), ("topic", "production budget")}
    assert result.signature is not None and result.signature.title == "Chief Executive Officer"
    assert all(e.text != "Tom Okafor" for e in result.entities)  # the signature is not analysed as text


def test_bad_input_never_crashes(pipeline: NlpPipeline) -> None:
    inputs = [
        TextInput(key="empty", text=""),
        TextInput(key="blank", text=" \n\t\n ", subject="   "),
        TextInput(key="huge", text="Please review the attached plan with Jeff Skilling. " * 20_000, timestamp=WHEN),
        TextInput(key="ja", text="お世話になっております。来週の会議の資料をお送りします。", subject="会議"),
        TextInput(key="de", text="Sehr geehrte Frau Müller, anbei die Unterlagen für das Treffen am Freitag. Grüße"),
        TextInput(key="cypher", text='Robert\'); MATCH (n) DETACH DELETE n // said hi to "Bobby" {tables}.'),
        TextInput(key="confusable", text="Meet Jеff Skilling (Cyrillic е) and ＪＥＦＦ at Ｅｎｒｏｎ tomorrow."),
        TextInput(key="controls", text="Hello\x00\x07 world\u200b\ufeff from Zoë", subject="\x00"),
        TextInput(key="emails", text="Ask jeff.skilling@enron.com or <kenneth.lay@enron.com> about it."),
    ]
    results = pipeline.analyse(inputs)
    assert [r.key for r in results] == [i.key for i in inputs]
    by_key = {r.key: r for r in results}
    assert by_key["empty"].sentiment is None and by_key["empty"].language == "und"
    assert by_key["huge"].truncated and by_key["huge"].chars > MAX_NLP_CHARS
    for key in ("ja", "de"):
        assert by_key[key].language == "und"
        assert by_key[key].sentiment is None
        assert by_key[key].entities == ()
    assert all("@" not in e.text for e in by_key["emails"].entities)


def test_results_are_deterministic(pipeline: NlpPipeline) -> None:
    inputs = [
        TextInput(
            key="a", text="Daniel Wu introduced me to Hana Sato. Let's meet on Friday.", subject="AFC rights package"
        ),
        TextInput(key="b", text="The AFC rights packages are due. Please review by 23 October.", timestamp=WHEN),
    ]
    assert pipeline.analyse(inputs, vocabulary=PhraseVocabulary()) == pipeline.analyse(
        inputs, vocabulary=PhraseVocabulary()
    )


def test_phrases_repeat_across_the_batch(pipeline: NlpPipeline) -> None:
    inputs = [
        TextInput(key="a", text="Draft attached.", subject="Production budget for the AFC tender"),
        TextInput(key="b", text="I have updated the production budgets and the rate card."),
    ]
    vocabulary = PhraseVocabulary()
    _, second = pipeline.analyse(inputs, vocabulary=vocabulary)
    assert ("topic", "production budget") in {(p.kind, p.key) for p in second.topics}
    assert len(vocabulary) >= 2


@pytest.mark.slow
def test_two_processes_give_the_same_answers() -> None:
    inputs = [
        TextInput(key=str(n), text=f"Can you send the plan to Jeff Skilling by Friday? Item {n}.", timestamp=WHEN)
        for n in range(140)
    ]
    single = NlpPipeline(n_process=1).analyse(inputs)
    double = NlpPipeline(n_process=2, batch_size=32).analyse(inputs)
    assert single == double
