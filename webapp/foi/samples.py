"""Fictional responses for benchmarks and demonstrations: plainly invented subjects at the
invented Northmoor Constabulary. The same count and seed give the same responses.

:func:`generate` yields front matter and body, :func:`write_files` writes them as
content files (marked ``sample: true``), :func:`sample_documents` validates them for
publishing straight away. Either way, they are published as samples, which
``flask foi remove-sample`` deletes.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import yaml

from webapp.foi.content import validate
from webapp.foi.problems import Problem
from webapp.foi.publish import SAMPLE_ORIGIN
from webapp.foi.vocabulary import NEEDS_EXEMPTIONS, OUTCOMES

TOPICS = [
    "Vehicles and fleet", "Information technology", "Recruitment", "Training", "Estates and buildings",
    "Finance and procurement", "Dogs and horses", "Drones", "Custody", "Firearms licensing",
    "Road safety", "Wildlife crime", "Complaints", "Body-worn video", "Neighbourhood policing",
]
SUBJECTS = [
    ("hovercraft", "maintenance of the force's hovercraft"), ("unicycles", "unicycle patrol trials"),
    ("pigeons", "carrier pigeon messaging"), ("kites", "kite-mounted cameras"),
    ("lighthouses", "lighthouse lease agreements"), ("teapots", "canteen teapot purchases"),
    ("bagpipes", "ceremonial bagpipe band costs"), ("submarines", "the miniature submarine loan"),
    ("snowmobiles", "snowmobile training days"), ("balloons", "hot air balloon surveillance"),
    ("scarecrows", "scarecrow crime prevention scheme"), ("telescopes", "observatory telescope hire"),
    ("trampolines", "trampoline park safety visits"), ("penguins", "penguin enclosure break-ins"),
    ("gondolas", "gondola station patrols"), ("mammoths", "the woolly mammoth exhibit theft"),
]
PLACES = ["Northmoor", "Eastbrook", "Fenwick Vale", "Harbourtown", "Little Ashby", "Moorside", "Quarry End", "Westleigh"]
FICTIONAL_EXEMPTIONS = ["40(2)", "31(1)(a)", "43(2)", "24(1)", "38(1)(a)", "30(1)(a)"]
FICTIONAL_EXCEPTIONS = ["12(5)(a)", "12(5)(b)", "12(4)(b)", "13(1)"]


def sample_document(number: int, rng: random.Random):
    subject, phrase = SUBJECTS[rng.randrange(len(SUBJECTS))]
    place = PLACES[rng.randrange(len(PLACES))]
    outcome = list(OUTCOMES)[rng.randrange(len(OUTCOMES))]
    year = 2019 + number % 7
    received = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(330))
    responded = received + dt.timedelta(days=rng.randrange(5, 30))
    published = responded + dt.timedelta(days=rng.randrange(0, 10))
    count = rng.randrange(1, 6)
    questions = [
        f"Please provide the number of {subject} used by officers in {place} in {year - k}, and the total cost."
        for k in range(count)
    ]
    meta = {
        "reference": f"NMC-{year}-{number:06d}",
        "title": f"{phrase[0].upper()}{phrase[1:]} in {place} (request {number})",
        "summary": f"A fictional request about {phrase} in {place} for the years {year - count + 1} to {year}.",
        "published": published, "received": received, "responded": responded,
        "regime": "EIR" if number % 17 == 0 else "FOIA",
        "outcome": outcome,
        "topics": sorted(set(rng.sample(TOPICS, rng.randrange(1, 4)))),
        "questions": questions,
        "answers": [
            {"questions": [k + 1],
             "text": f"Northmoor Constabulary holds {rng.randrange(0, 400)} records of {subject} in {place} for {year - k}. "
                     f"The total cost recorded was {rng.randrange(100, 90000)} pounds, met from the {place} budget."}
            for k in range(count)
        ],
    }
    if outcome in NEEDS_EXEMPTIONS:
        pool = FICTIONAL_EXCEPTIONS if meta["regime"] == "EIR" else FICTIONAL_EXEMPTIONS
        meta["exemptions"] = sorted(rng.sample(pool, rng.randrange(1, 3)))
    body = "I have today decided to disclose the located information to you in full." if outcome == "disclosed-in-full" \
        else f"This is a fictional response about {phrase}, recorded as {OUTCOMES[outcome].lower()}."
    return meta, body


def generate(count: int, seed: int = 2024):
    rng = random.Random(seed)
    for number in range(1, count + 1):
        yield sample_document(number, rng)


def sample_documents(count: int, seed: int = 2024) -> tuple[list, list[Problem]]:
    """The samples as validated documents, marked as samples (``remove-sample`` deletes them)."""
    documents, problems = [], []
    for meta, body in generate(count, seed):
        loaded = validate(meta, body, source=f"generated/{meta['reference']}.md")
        if isinstance(loaded, list):
            problems.extend(loaded)
        else:
            loaded.origin, loaded.is_sample = SAMPLE_ORIGIN, True
            documents.append(loaded)
    return documents, problems


def write_files(folder: Path, count: int, seed: int = 2024) -> None:
    """Write the samples into ``folder`` as content files, one per response."""
    folder.mkdir(parents=True, exist_ok=True)
    for meta, body in generate(count, seed):
        front = yaml.safe_dump({**meta, "sample": True}, sort_keys=False, allow_unicode=True)
        (folder / f"{meta['reference']}.md").write_text(f"---\n{front}---\n{body}\n", "utf-8")
