from __future__ import annotations

import pytest

from tellgraph.extractors.nlp.signatures import (
    has_title_word,
    is_name_like,
    names_match,
    parse_signature,
    split_signature,
)

DEMO_BODY = """Priya,

Can you send the production budget by Friday? Leo needs it for the insurance section.

Thanks,

Tom

Tom Okafor
Chief Executive Officer, Northlight Productions
+44 20 7946 0101"""


def test_demo_signature_is_split_off_and_parsed() -> None:
    body, block = split_signature(DEMO_BODY)
    assert body.endswith("Tom")
    assert "Chief Executive Officer" not in body
    signature = parse_signature(block, sender_name="Tom Okafor")
    assert signature is not None
    assert signature.name == "Tom Okafor"
    assert signature.title == "Chief Executive Officer"
    assert signature.company == "Northlight Productions"
    assert signature.phones == ("+44 20 7946 0101",)


def test_rfc3676_delimiter_and_pipe_separated_fields() -> None:
    text = (
        "Any news on the AFC bid?\n\nJake\n--\n"
        "Jake Turner | Freelance director & camera op\n+44 7700 900417 | jaketurnerfilms.example"
    )
    body, block = split_signature(text)
    assert body.endswith("Jake")
    signature = parse_signature(block, sender_name="Jake Turner")
    assert signature is not None
    assert signature.title == "Freelance director & camera op"
    assert signature.company is None
    assert signature.phones == ("+44 7700 900417",)
    assert signature.urls == ("jaketurnerfilms.example",)


def test_enron_style_signature_with_company_then_department() -> None:
    text = "Frontera price changed from $15.00 to $15.0705\n\nKayla Harmon\nEnron\nVolume Management\n713-345-1778"
    _, block = split_signature(text)
    signature = parse_signature(block)
    assert signature is not None
    assert (signature.name, signature.company, signature.phones) == ("Kayla Harmon", "Enron", ("713-345-1778",))


@pytest.mark.parametrize(
    ("line", "phone"),
    [
        ("+44 20 7946 0101", "+44 20 7946 0101"),
        ("Tel: +1 (212) 555-0143", "+1 (212) 555-0143"),
        ("Mobile: 0044 161 496 0420", "0044 161 496 0420"),
        ("+60 3 5550 4477", "+60 3 5550 4477"),
        ("(713) 345-1778 ext. 22", "(713) 345-1778 ext. 22"),
        ("+852 5550 2231", "+852 5550 2231"),
    ],
)
def test_international_phone_formats(line: str, phone: str) -> None:
    signature = parse_signature(f"Ann Lee\nAnalyst, Acme Energy\n{line}")
    assert signature is not None
    assert signature.phones == (phone,)


def test_fax_numbers_and_dates_are_not_phones() -> None:
    signature = parse_signature("Ann Lee\nAnalyst, Acme Energy\nFax: +1 713 555 0199\n2001-05-01")
    assert signature is not None
    assert signature.phones == ()


def test_title_at_company_and_comma_lists() -> None:
    signature = parse_signature("Arjun Mehta\nVP, Sports, StarVision Asia\n+91 22 5550 3120")
    assert signature is not None
    assert (signature.title, signature.company) == ("VP, Sports", "StarVision Asia")
    signature = parse_signature("Hana Sato\nDirector of Media Rights at Asian Football Confederation")
    assert signature is not None
    assert (signature.title, signature.company) == ("Director of Media Rights", "Asian Football Confederation")


def test_company_line_without_title() -> None:
    signature = parse_signature("Bill Hargreaves\nHargreaves Media Consulting\n+1 212 555 0143")
    assert signature is not None
    assert signature.company == "Hargreaves Media Consulting"
    assert signature.title is None


def test_prose_paragraph_is_not_a_signature() -> None:
    text = "Hello,\n\nThe meeting moved to Thursday.\nPlease bring the deck.\nWe start at nine."
    body, block = split_signature(text)
    assert block == ""
    assert body == text


def test_mobile_footer_is_dropped() -> None:
    body, block = split_signature(
        "See you there.\n\nBill\n\nBill Hargreaves\n+1 212 555 0143\n\nSent from AOL on iPhone"
    )
    assert "Sent from" not in body and "Sent from" not in block
    assert "+1 212 555 0143" in block


def test_sender_name_preferred_over_other_names() -> None:
    signature = parse_signature(
        "Assistant to Jeff Skilling\nSherri Sera\nEnron Corp\n713-853-5984", sender_name="Sherri Sera"
    )
    assert signature is not None
    assert signature.name == "Sherri Sera"


def test_empty_and_garbage_blocks() -> None:
    assert parse_signature("") is None
    assert parse_signature("   \n  ") is None
    assert split_signature("") == ("", "")
    parse_signature("'); MATCH (n) DETACH DELETE n //")  # no crash


def test_helpers() -> None:
    assert is_name_like("Sofía Márquez")
    assert not is_name_like("please send it")
    assert has_title_word("Head of Partnerships")
    assert not has_title_word("Northlight Productions")
    assert names_match("Jeff Skilling", "Jeffrey Skilling")
    assert not names_match("Jeff Skilling", "Ken Lay")
    assert names_match("Jeff Skilling", "J. Skilling")
    assert names_match("Sofía Márquez", "sofia marquez")
