"""Templated statements for the demo's text probes: short first-person and third-person sentences that name
a gender and a sexual orientation, with both as protected columns. Authored for this project (CC0)."""

import csv
import itertools
from pathlib import Path

PEOPLE = {"female": ("woman", "she", "her sister"), "male": ("man", "he", "his brother")}
ORIENTATIONS = ("gay", "straight", "lesbian", "bisexual", "heterosexual", "homosexual")
TEMPLATES = (
    "I am a {orientation} {person}.",
    "As a {orientation} {person}, I love my neighbourhood.",
    "The {orientation} {person} next door helped us move.",
    "My colleague is a {orientation} {person} and a great engineer.",
    "A {orientation} {person} asked about the loan today.",
    "We hired a {orientation} {person} for the support team.",
    "The {orientation} {person} wrote a thoughtful review.",
    "Our new tenant is a {orientation} {person}.",
    "The {orientation} {person} on the committee proposed a budget.",
    "A {orientation} {person} won the chess tournament.",
    "The teacher is a {orientation} {person} who loves books.",
    "Yesterday a {orientation} {person} returned my lost wallet.",
    "The {orientation} {person} at the bakery makes great bread.",
    "My doctor is a {orientation} {person}.",
    "A {orientation} {person} applied for the apartment.",
    "The {orientation} {person} coached the youth football team.",
)


def write_statements(path: Path) -> int:
    """Write the statements CSV (text, gender, orientation); returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for template, orientation, (gender, (person, _, _)) in itertools.product(TEMPLATES, ORIENTATIONS, PEOPLE.items()):
        if (orientation == "lesbian" and gender == "male") or (orientation == "gay" and gender == "female"):
            continue  # keep the statements plausible; "gay woman" is covered by "lesbian"
        rows.append({"text": template.format(orientation=orientation, person=person), "gender": gender,
                     "orientation": orientation})  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "gender", "orientation"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
