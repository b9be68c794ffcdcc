"""A character tokenizer over a fixed charset, so one vocabulary fits every text task."""

from __future__ import annotations

from collections.abc import Sequence

from students.errors import DataError

SPECIALS = ("<pad>", "<bos>", "<eos>")
# Printable ASCII (space .. tilde) plus newline and tab: fixed, so a checkpoint never depends
# on the data it was trained on.
CHARSET = "".join(chr(c) for c in range(32, 127)) + "\n\t"


class CharTokenizer:
    """Maps each character of ``CHARSET`` to one id; ids 0, 1, 2 are PAD, BOS and EOS."""

    pad_id = 0
    bos_id = 1
    eos_id = 2

    def __init__(self, charset: str = CHARSET) -> None:
        if len(set(charset)) != len(charset):
            raise DataError("tokenizer charset has repeated characters")
        self.charset = charset
        self._ids = {ch: i + len(SPECIALS) for i, ch in enumerate(charset)}

    @property
    def vocab_size(self) -> int:
        return len(SPECIALS) + len(self.charset)

    def encode(self, text: str) -> list[int]:
        """Character ids of ``text``; a character outside the charset is a DataError."""
        try:
            return [self._ids[ch] for ch in text]
        except KeyError as e:
            raise DataError(
                f"character {e.args[0]!r} is not in the tokenizer charset (printable ASCII)"
            ) from None

    def decode(self, ids: Sequence[int]) -> str:
        """Text of ``ids``, stopping at the first EOS and skipping PAD and BOS."""
        chars = []
        for i in ids:
            i = int(i)
            if i == self.eos_id:
                break
            if i >= len(SPECIALS):
                chars.append(self.charset[i - len(SPECIALS)])
        return "".join(chars)

