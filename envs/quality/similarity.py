"""Exact and near matching of prompts, for deduplication and decontamination.

Two prompts are an *exact* match when they are equal after lower-casing and collapsing
whitespace, and a *near* match when they are equal once all whitespace is removed (``add 2 +
3`` and ``add 2+3``), or, for prompts of at least ``MIN_WORDS`` words, when their word
3-gram Jaccard similarity is at least ``THRESHOLD`` (Self-Instruct kept a new instruction
only below 0.7 ROUGE-L). Long prompts are found through MinHash locality-sensitive hashing,
then confirmed by the exact Jaccard, so a run with thousands of examples stays fast. Every
hash is stable across processes, so a resumed run matches exactly what the first one did.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Literal

THRESHOLD = 0.7
MIN_WORDS = 8
_BANDS, _ROWS = 16, 4  # P(candidate) at Jaccard 0.7 = 1 - (1 - 0.7**4)**16 = 0.99
_PRIME = (1 << 61) - 1
_PERMS = [(1 + 2 * k * 0x9E3779B1 % _PRIME, 7 + k * 0x85EBCA77 % _PRIME)
          for k in range(_BANDS * _ROWS)]

Match = Literal["exact", "near"]


def normalise(text: str) -> str:
    """Lower case, whitespace collapsed: the key of an exact match."""
    return " ".join(text.split()).lower()


def squash(text: str) -> str:
    """Lower case without any whitespace: equal squashes are near duplicates."""
    return "".join(text.split()).lower()


def shingles(text: str) -> frozenset[str]:
    """Word 3-grams of the normalised text (empty below ``MIN_WORDS`` words)."""
    words = normalise(text).split()
    if len(words) < MIN_WORDS:
        return frozenset()
    return frozenset(" ".join(words[i:i + 3]) for i in range(len(words) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


class NearIndex:
    """A growing set of prompts that answers: is this prompt an exact or near match of one?"""

    def __init__(self) -> None:
        self._exact: set[str] = set()
        self._squashed: set[str] = set()
        self._shingles: list[frozenset[str]] = []
        self._buckets: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)

    def __len__(self) -> int:
        return len(self._exact)

    def add(self, prompt: str) -> None:
        self._exact.add(normalise(prompt))
        self._squashed.add(squash(prompt))
        grams = shingles(prompt)
        if grams:
            self._shingles.append(grams)
            for key in _bands(grams):
                self._buckets[key].append(len(self._shingles) - 1)

    def match(self, prompt: str) -> Match | None:
        if normalise(prompt) in self._exact:
            return "exact"
        if squash(prompt) in self._squashed:
            return "near"
        grams = shingles(prompt)
        if grams:
            candidates = {i for key in _bands(grams) for i in self._buckets.get(key, ())}
            if any(jaccard(grams, self._shingles[i]) >= THRESHOLD for i in candidates):
                return "near"
        return None


def _bands(grams: frozenset[str]) -> list[tuple[int, tuple[int, ...]]]:
    """MinHash signature of the shingles, cut into LSH bands."""
    hashes = [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "big")
              for g in grams]
    signature = [min((a * h + b) % _PRIME for h in hashes) for a, b in _PERMS]
    return [(band, tuple(signature[band * _ROWS:(band + 1) * _ROWS])) for band in range(_BANDS)]
