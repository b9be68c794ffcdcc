"""Derived seeds: one run seed fans out into independent, reproducible streams."""

import hashlib


def derive_seed(seed: int, *parts: object) -> int:
    """A 31-bit seed determined by ``seed`` and ``parts`` (e.g. ``derive_seed(7, "train", 3)``).

    Every random choice in a run takes its seed from here, so a resumed run draws exactly what
    an uninterrupted one would have drawn.
    """
    text = "/".join(str(p) for p in (seed, *parts))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF
