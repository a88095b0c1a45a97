#!/usr/bin/env python3
"""Writes entities.tsv, the built-in fact table of the knowledge task: 300 made-up people, each with a home
town (made-up too), a favourite colour and a job, all drawn with a fixed seed, so running this again writes the
same file byte for byte. The names are pronounceable nonsense (two or three syllables, at most 8 letters) so
that a model can know nothing about them except what its pretraining text says. Values of one attribute never
start with another value of it ("pink" / "pinkish"), so that scoring a choice by its log-likelihood is never
decided by a shared prefix.

    python3 datasets/facts/make_facts.py            # rewrites datasets/facts/entities.tsv
    python3 datasets/facts/make_facts.py OUT.tsv    # writes it elsewhere (the tests compare the two)
"""
import os
import random
import sys

SEED = 20240601
ENTITIES = 300
ONSETS = ["b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "gr", "kr", "pl",
          "st", "tr", "sk"]
VOWELS = ["a", "e", "i", "o", "u"]
CODAS = ["", "", "n", "r", "l", "s", "k", "m", "x"]
COLOURS = ["red", "blue", "green", "yellow", "black", "white", "pink", "grey", "brown", "purple"]
JOBS = ["baker", "farmer", "pilot", "nurse", "tailor", "miner", "singer", "potter", "judge", "sailor"]


def word(rng, syllables):
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables)).capitalize()


def prefix_free(values):
    return not any(a != b and b.startswith(a) for a in values for b in values)


def main():
    rng = random.Random(SEED)
    towns = set()
    while len(towns) < 12:
        town = word(rng, 2)
        if 4 <= len(town) <= 7:
            towns.add(town)
    towns = sorted(towns)
    while not prefix_free(towns):  # never happens with this seed; kept so a new seed cannot break the rule
        towns.pop()
    names = set()
    while len(names) < ENTITIES:
        name = word(rng, rng.choice([2, 2, 3]))
        if 4 <= len(name) <= 8 and name not in towns:
            names.add(name)
    assert prefix_free(COLOURS) and prefix_free(JOBS)
    rows = ["# The knowledge task's fact table: made-up people with a home town, a favourite colour and a job.",
            "# Written by make_facts.py from a fixed seed; do not edit by hand.",
            "name\tcity\tcolour\tjob"]
    for name in sorted(names):
        rows.append("\t".join([name, rng.choice(towns), rng.choice(COLOURS), rng.choice(JOBS)]))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                               "entities.tsv")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
