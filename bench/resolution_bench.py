"""Resolution benchmark: 100k synthetic person records written under many name variants.

A deterministic population of people (first names with nicknames, a Zipf-like surname
distribution with very common surnames, middle initials, companies) is written out as
records the way sources would: "First Last", "Last, First", "First M. Last",
nicknames, initials, swapped order, typos, confusable letters, addresses only
(``first.last@``, ``flast@``), names only. The matcher resolves them all, and the
figures are compared with an exact-match baseline measured in the same run (records
grouped by their normalised first+last name or shared address).

Quality is scored pairwise against the known people: precision and recall of the
``merge`` decisions (and the baseline's groups) over all pairs of records.

    .venv/bin/python bench/resolution_bench.py              # 100k records, embeddings on
    .venv/bin/python bench/resolution_bench.py --records 20000 --no-embeddings
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine, peak_rss_mb, save  # noqa: E402
from tellgraph.resolution.matcher import (  # noqa: E402
    COMMON_SURNAMES,
    MatchConfig,
    Matcher,
    PersonRecord,
    clear_caches,
    exact_name_key,
)
from tellgraph.resolution.names import NICKNAME_GROUPS  # noqa: E402

SEED = 7
FIRST_NAMES = [
    *sorted({group[0] for group in NICKNAME_GROUPS}),
    "aaron", "adrian", "alicia", "amanda", "amy", "andrea", "angela", "ashley", "brandon", "brenda", "carlos",
    "carol", "carmen", "cheryl", "craig", "crystal", "dana", "denise", "derek", "diana", "diane", "dylan",
    "emily", "eric", "erica", "erin", "gary", "gloria", "grace", "heather", "holly", "irene", "ivan", "jamal",
    "jason", "jean", "jesse", "joel", "juan", "julia", "julie", "karen", "keith", "kelly", "kevin", "kyle",
    "lance", "lauren", "lisa", "lori", "luis", "marcus", "maria", "marie", "mark", "martin", "megan", "monica",
    "nancy", "nina", "omar", "paul", "priya", "rachel", "raj", "ricardo", "rita", "roy", "ruth", "ryan", "scott",
    "sean", "shawn", "sheila", "sonia", "tara", "tina", "todd", "tracy", "troy", "wayne", "wendy", "yuki",
]  # fmt: skip
SYLLABLES = [
    "ab", "al", "an", "ar", "ba", "be", "bo", "bri", "ca", "car", "chen", "co", "da", "de", "di", "do", "el", "en",
    "er", "fa", "fe", "fo", "ga", "ge", "gi", "ha", "he", "hi", "ho", "ka", "ke", "ki", "ko", "la", "le", "li",
    "lo", "lu", "ma", "me", "mi", "mo", "na", "ne", "ni", "no", "or", "pa", "pe", "po", "ra", "re", "ri", "ro",
    "sa", "se", "si", "so", "sta", "ta", "te", "ti", "to", "tra", "va", "ve", "vi", "wa", "we", "wi", "ya", "za",
]  # fmt: skip
ENDINGS = ["", "s", "son", "er", "man", "ski", "ez", "ton", "berg", "ley", "ford", "wood", "well", "ini", "ova"]
CONFUSABLE = {"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "i": "і"}  # Latin → Cyrillic lookalike


@dataclass(frozen=True)
class Truth:
    first: str
    middle: str
    last: str
    company: str


def population(people: int, rng: random.Random) -> list[Truth]:
    """Distinct people: a few very common surnames, a long tail of rare invented ones."""
    invented = sorted(
        {
            "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))) + rng.choice(ENDINGS)
            for _ in range(people)
        }
    )
    common = sorted(COMMON_SURNAMES)
    companies = [f"{''.join(rng.choice(SYLLABLES) for _ in range(3))}.com" for _ in range(max(50, people // 40))]
    seen: set[tuple[str, str, str, str]] = set()
    result: list[Truth] = []
    while len(result) < people:
        # Zipf-like: common surnames take about a third of the people.
        last = (
            rng.choice(common[:40]) if rng.random() < 0.12 else rng.choice(common if rng.random() < 0.3 else invented)
        )
        first = rng.choice(FIRST_NAMES)
        middle = rng.choice("abcdefghjklmnprstw") if rng.random() < 0.5 else ""
        company = rng.choice(companies)
        key = (first, middle, last, company)
        if key not in seen:
            seen.add(key)
            result.append(Truth(first, middle, last, company))
    return result


def nickname_of(first: str, rng: random.Random) -> str:
    for group in NICKNAME_GROUPS:
        if group[0] == first and len(group) > 1:
            return rng.choice(group[1:])
    return first


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 6:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]  # one letter dropped


def variant(person: Truth, rng: random.Random) -> tuple[str | None, tuple[str, ...]]:
    """One record of the person: (display name, addresses)."""
    f, m, last, company = person.first, person.middle, person.last, person.company
    fc, lc = f.capitalize(), last.capitalize()
    kind = rng.random()
    email = (f"{f}.{last}@{company}",) if rng.random() < 0.5 else ()
    if kind < 0.20:
        return f"{fc} {lc}", email
    if kind < 0.35:
        return f"{lc}, {fc}" + (f" {m.upper()}." if m else ""), email
    if kind < 0.45:
        return f"{fc} {m.upper()}. {lc}" if m else f"{fc} {lc}", email
    if kind < 0.55:
        return f"{nickname_of(f, rng).capitalize()} {lc}", email
    if kind < 0.62:
        return f"{fc[0]}. {lc}", ()
    if kind < 0.67:
        return f"{lc} {fc}", ()
    if kind < 0.72:
        return f"{fc} {typo(last, rng).capitalize()}", ()
    if kind < 0.76:
        spoofed = "".join(CONFUSABLE.get(ch, ch) if rng.random() < 0.3 else ch for ch in f"{fc} {lc}")
        return spoofed, email
    if kind < 0.84:
        return None, (f"{f}.{last}@{company}",)
    if kind < 0.90:
        return None, (f"{f[0]}{last}@{company}",)
    if kind < 0.95:
        return f"{fc} {lc}".upper(), (f"{f}.{last}@{company}",)
    return f"{fc} {lc}", (f"{f}.{last}{rng.randint(1, 99)}@gmail.com",)


def records(total: int, rng: random.Random) -> tuple[list[PersonRecord], dict[str, int]]:
    """``total`` records of about total/4 people, and the true person index of each record id."""
    people = population(max(1, total // 4), rng)
    out: list[PersonRecord] = []
    truth: dict[str, int] = {}
    while len(out) < total:
        index = rng.randrange(len(people))
        name, emails = variant(people[index], rng)
        record_id = f"r{len(out):06d}"
        out.append(PersonRecord(id=record_id, name=name, emails=emails))
        truth[record_id] = index
    return out, truth


def pairwise(predicted_pairs: Iterable[tuple[str, str]], truth: dict[str, int]) -> dict[str, float]:
    """Precision/recall/F1 over record pairs, with the predicted pairs closed transitively."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in predicted_pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    clusters: dict[str, list[str]] = defaultdict(list)
    for record_id in truth:
        clusters[find(record_id)].append(record_id)
    tp = fp = 0
    for members in clusters.values():
        for a, b in itertools.combinations(members, 2):
            if truth[a] == truth[b]:
                tp += 1
            else:
                fp += 1
    sizes: dict[int, int] = defaultdict(int)
    for person in truth.values():
        sizes[person] += 1
    positives = sum(n * (n - 1) // 2 for n in sizes.values())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / positives if positives else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "pairs": tp + fp}


def baseline(items: list[PersonRecord]) -> tuple[list[tuple[str, str]], float, float]:
    """Exact match: records with the same normalised first+last name or a shared address are one person."""
    started, cpu_started = time.perf_counter(), time.process_time()
    groups: dict[str, list[str]] = defaultdict(list)
    for record in items:
        key = exact_name_key(record)
        if key:
            groups[f"n:{key}"].append(record.id)
        for email in record.emails:
            groups[f"e:{email.lower()}"].append(record.id)
    pairs = [(members[0], other) for members in groups.values() for other in members[1:]]
    return pairs, time.perf_counter() - started, time.process_time() - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--no-embeddings", action="store_true", help="rules only (skip the MiniLM step)")
    args = parser.parse_args()

    rng = random.Random(SEED)
    items, truth = records(args.records, rng)
    people = len(set(truth.values()))
    print(f"machine: {machine()}, load average {os.getloadavg()}")
    print(f"{len(items):,} records of {people:,} people")

    clear_caches()  # every run starts cold: the baseline must not warm the matcher's parse caches
    base_pairs, base_seconds, base_cpu = baseline(items)
    base_quality = pairwise(base_pairs, truth)
    print(f"baseline exact match     : {base_seconds:7.2f} s (CPU {base_cpu:.2f} s)  {base_quality}")

    figures: dict[str, Any] = {
        "machine": machine(),
        "records": len(items),
        "people": people,
        "baseline": {"seconds": round(base_seconds, 3), "cpu_seconds": round(base_cpu, 3), **base_quality},
    }
    modes = [("rules only", False)] + ([] if args.no_embeddings else [("rules + embeddings", True)])
    for label, embeddings in modes:
        matcher = Matcher(config=MatchConfig(use_embeddings=embeddings))
        if embeddings:
            warm = time.perf_counter()
            matcher.embedder.similarities([("warm up", "warm up")])  # model load is not resolution time
            print(f"  (model load {time.perf_counter() - warm:.1f} s, not counted)")
        clear_caches()
        started, cpu_started = time.perf_counter(), time.process_time()
        run = matcher.run(items)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        quality = pairwise(((d.a, d.b) for d in run.decisions if d.decision == "merge"), truth)
        reviews = sum(1 for d in run.decisions if d.decision == "review")
        print(
            f"matcher {label:18}: {seconds:7.2f} s (CPU {cpu:.2f} s)  {quality}  "
            f"candidate pairs {run.candidate_pairs:,}, "
            f"embedded {run.embedded_pairs:,}, reviews {reviews:,}, blocks {run.blocks:,} "
            f"(skipped {run.skipped_blocks})"
        )
        figures[label] = {
            "seconds": round(seconds, 3),
            "cpu_seconds": round(cpu, 3),
            **quality,
            "candidate_pairs": run.candidate_pairs,
            "embedded_pairs": run.embedded_pairs,
            "reviews": reviews,
            "skipped_blocks": run.skipped_blocks,
        }
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(f"peak memory {figures['peak_rss_mb']} MB; target: under 60 s for 100k records on 2 cores")
    print(f"saved {save('resolution_bench', figures)}")


if __name__ == "__main__":
    main()
