from __future__ import annotations

import pytest

from tellgraph.resolution.names import (
    canonical_first,
    clean_display_name,
    extract_email,
    first_name_relation,
    fold,
    is_email,
    last_name_relation,
    local_part_score,
    name_variants,
    parse_email,
    parse_name,
    soundex,
)


@pytest.mark.parametrize(
    "text",
    [
        "Skilling, Jeff",
        "Jeff Skilling",
        "Jeff Skilling/HOU/ECT@ECT",
        "Skilling, Jeff </O=ENRON/OU=NA/CN=RECIPIENTS/CN=JSKILLIN>",
        "'Jeff Skilling (E-mail)' <jeff@skilling.org>",
        '"Skilling, Jeff" <jeff.skilling@enron.com>',
        "Mr. Jeff Skilling",
        "JEFF SKILLING",
        "  jeff   skilling  ",
    ],
)
def test_forms_of_one_name_parse_alike(text: str) -> None:
    parsed = parse_name(text)
    assert (parsed.first, parsed.last) == ("jeff", "skilling")


def test_comma_form_is_certain_about_order() -> None:
    assert parse_name("Skilling, Jeff").comma
    assert not parse_name("Jeff Skilling").comma


def test_middle_initials_titles_and_suffixes() -> None:
    parsed = parse_name("Jeffrey K. Skilling")
    assert (parsed.first, parsed.middle, parsed.last) == ("jeffrey", ("k",), "skilling")
    assert parse_name("Dr. Jeff Skilling Jr.").suffix == "jr"
    bill = parse_name("Williams III, Bill")
    assert (bill.first, bill.last, bill.suffix) == ("bill", "williams", "iii")
    raymond = parse_name("Bowen Jr., Raymond </O=ENRON/OU=NA/CN=RECIPIENTS/CN=Rbowen")
    assert (raymond.first, raymond.last, raymond.suffix) == ("raymond", "bowen", "jr")
    assert parse_name("Jeff Skilling, Jr.").suffix == "jr"


def test_hyphens_particles_and_apostrophes() -> None:
    hyphen = parse_name("Mary-Kay Smith-Jones")
    assert (hyphen.first, hyphen.middle, hyphen.last, hyphen.last_parts) == (
        "mary",
        ("kay",),
        "smithjones",
        ("smith", "jones"),
    )
    assert parse_name("Maria de la Cruz").last == "delacruz"
    assert parse_name("Beethoven, Ludwig van").last == parse_name("Ludwig van Beethoven").last
    assert parse_name("O'Brien, Webster").last == "obrien"


def test_accents_and_confusables_fold_to_latin() -> None:
    assert fold("José Núñez") == "jose nunez"
    assert fold("Jеff Skilling") == "jeff skilling"  # Cyrillic е
    assert fold("Ｊｅｆｆ") == "jeff"  # fullwidth
    assert fold("Jef\u200bf") == "jeff"  # zero-width space
    assert fold("Ολγα") != ""  # Greek that is not a lookalike survives
    assert parse_name("Jеff Skіlling").key == parse_name("Jeff Skilling").key  # Cyrillic е and і
    assert fold("Łukasz Øster") == "lukasz oster"


def test_names_that_are_addresses_are_read_as_addresses() -> None:
    dotted = parse_name("jeff.skilling@enron.com")
    assert dotted.email == "jeff.skilling@enron.com" and dotted.from_email
    assert (dotted.first, dotted.last) == ("jeff", "skilling")
    notes = parse_name("jeff.skilling@enron.com@ENRON")
    assert notes.email == "jeff.skilling@enron.com"
    compact = parse_name("jskilling@enron.com")
    assert compact.compact == "jskilling" and not compact.has_full_name
    tunnelled = parse_name("dgagliardi@reliant.com@ENRON <IMCEANOTES-dgagliardi+40reliant+2Ecom+40ENRON@ENRON.com>")
    assert tunnelled.email == "dgagliardi@reliant.com"
    assert is_email("Jeff@Enron.COM") and not is_email("Jeff Skilling") and not is_email("a@b")
    assert extract_email("Fran Hall <fxhall@yahoo.com> @ ENRON") == "fxhall@yahoo.com"
    assert parse_email("info@acme.com").is_empty  # a role, not a person


def test_clean_display_name() -> None:
    assert clean_display_name("Davis, Pete </O=ENRON/OU=NA/CN=RECIPIENTS/CN=PDAVIS1>") == "Davis, Pete"
    assert clean_display_name("ETS General Announcement/ET&S/Enron") == "ETS General Announcement"
    assert clean_display_name("</O=ENRON/OU=NA/CN=RECIPIENTS/CN=PDAVIS1>") == ""
    assert clean_display_name("'fillmotw@sce.com' <fillmotw@sce.com") == ""
    assert clean_display_name("Kay Chapman-") == "Kay Chapman"


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "@",
        "<>",
        ",,,",
        "'); MATCH (n) DETACH DELETE n; //",
        'Robert"}) MATCH (n) DETACH DELETE n //',
        "${jndi:ldap://x}",
        "\x00\x01\x02",
        "a" * 5000,
        "Ω≈ç√∫",
        "🙂 🙂",
        "Jr.",
        "Dr.",
        "van",
        "@@@@example.com",
        "O'",
    ],
)
def test_junk_never_crashes(junk: str) -> None:
    parsed = parse_name(junk)
    assert isinstance(parsed.tokens, tuple)
    assert all(ch not in "(){}[];$\"'`" for token in parsed.tokens for ch in token)
    name_variants(junk)
    clean_display_name(junk)
    extract_email(junk)


def test_nicknames() -> None:
    for a, b in [
        ("jeff", "jeffrey"),
        ("bill", "william"),
        ("bob", "robert"),
        ("mike", "michael"),
        ("chris", "christopher"),
        ("dave", "david"),
        ("jim", "james"),
        ("tom", "thomas"),
        ("dan", "daniel"),
        ("kate", "katherine"),
        ("liz", "elizabeth"),
        ("steve", "stephen"),
        ("steven", "stephen"),
    ]:
        assert first_name_relation(a, b) == "nickname", (a, b)
    assert canonical_first("bill") == canonical_first("william")


def test_first_name_relations() -> None:
    assert first_name_relation("jeff", "jeff") == "exact"
    assert first_name_relation("j", "jeff") == "initial"
    assert first_name_relation("k", "jeff") is None
    assert first_name_relation("clint", "craig") is None
    assert first_name_relation("dan", "danforth") == "prefix"
    assert first_name_relation("paul", "paula") is None  # different names, not a shortening
    assert first_name_relation("micheal", "michael") == "nickname"  # a common misspelling, listed
    assert first_name_relation("denise", "denice") == "typo"
    assert first_name_relation("", "jeff") is None


def test_last_name_relations() -> None:
    def rel(a: str, b: str) -> str | None:
        return last_name_relation(parse_name(a), parse_name(b))

    assert rel("Jeff Dasovich", "Dasovich, Jeff") == "exact"
    assert rel("Chuck de Boisblanc", "Boisblanc, Chuck") == "particle"
    assert rel("Ann Smith-Jones", "Ann Smith") == "compound"
    assert rel("Jeff Dasovich", "Jeff Dasovitch") == "typo"
    assert rel("Corby Gardin", "Corby Gardiner") == "truncated"
    assert rel("Clint Dean", "Clint Deen") is None  # too short to call a typo
    assert rel("Mike Curry", "Mike Curran") is None


def test_local_parts_fit_names() -> None:
    jeff = parse_name("Jeff Dasovich")
    assert local_part_score("jeffdasovich", jeff)[0] == 1.0
    assert local_part_score("jdasovich", jeff)[0] == pytest.approx(0.8)
    assert local_part_score("jdasovic", jeff)[0] == pytest.approx(0.75)  # Notes' 8-character id
    assert local_part_score("dasovichj", jeff)[0] == pytest.approx(0.7)
    assert local_part_score("kdasovic", jeff)[0] == 0.0
    assert local_part_score("bsbinion", parse_name("Brian Binion"))[0] > 0  # unknown middle initial


def test_soundex_and_variants() -> None:
    assert soundex("robert") == soundex("rupert") == "R163"
    assert soundex("smith") == soundex("smyth") == "S530"
    assert soundex("") == ""
    variants = name_variants("Skilling, Jeffrey K.")
    assert {"jeffrey skilling", "jeff skilling", "j skilling", "skilling jeffrey"} <= variants


def test_initials_of_other_forms_of_a_name() -> None:
    assert first_name_relation("e", "gene") == "initial"  # Eugene
    assert first_name_relation("b", "william") == "initial"  # Bill
    assert first_name_relation("x", "william") is None
