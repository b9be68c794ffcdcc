"""Checking a final math answer against a reference, after normalisation.

``equivalent(reference, reply)`` takes the final answer out of a free-text reply (a
``\\boxed{}``, an "answer is ..." line, or the last line), then accepts it when it matches any
form of the reference: the same words once case, spaces and punctuation are normalised, the
same parts in any order ("376 and 625"), or the same value. Values are compared with
``sympy``: numbers, fractions, percentages and simple expressions in a few letters (checked
at several points). Only short, whitelisted text reaches the parser, because sympy's parser
evaluates Python.
"""

from __future__ import annotations

import math
import re

ALTERNATIVES = re.compile(r",\s*or (?:equivalently|approximately|an equivalent form such as)\s+")
TRAILING_NOTE = re.compile(r"\s+\((?=[^()]*[a-z]{3})[^()]*\)$", re.I)
STATEMENTS = (
    re.compile(r"^(.+?) is the only possible value$", re.I),
    re.compile(r"^the limit exists and is equal to (.+)$", re.I),
    re.compile(r"^the only possible value for the limit is (.+)$", re.I),
    re.compile(r"^(-?\d[\d/^.]*) [a-z]+$", re.I),  # "98 values", "0 roots"
)
SAFE_TEXT = re.compile(r"^[0-9a-zA-Z+\-*/^()., !%]*$")
WORDS_ALLOWED = {"sqrt", "C", "binom", "floor", "ceil", "pi"}
# values for up to three letters (in name order); varied so no simple relation holds at all
POINTS = ((3, 5, 2), (7, 2, 4), (4, 9, 6), (10, 3, 8), (2, 11, 5), (5, 13, 9))
ASSIGNED = re.compile(r"^\s*[a-zA-Z](?:\([a-z]\))?\s*=([^=]+)$")  # "x = 7", "f(x) = 0"


def equivalent(reference: str, reply: str) -> bool:
    """Is the final answer in ``reply`` a right answer when ``reference`` is?"""
    answer = final_answer(reply)
    if not answer:
        return False
    given = reference_forms(answer)  # a reply may offer alternatives of its own
    return any(_matches(form, a) for form in reference_forms(reference) for a in given)


def final_answer(reply: str) -> str:
    """The final answer of a free-text reply."""
    boxed = _last_boxed(reply)
    if boxed is not None:
        return _clean(boxed)
    said = re.findall(r"(?i)\banswer\b(?:\s+is)?\s*[:=]?\s*([^\n]+)", reply)
    if said:
        return _clean(said[-1])
    lines = [line for line in reply.splitlines() if line.strip()]
    return _clean(lines[-1]) if lines else ""


def reference_forms(reference: str) -> list[str]:
    """Every accepted form of a reference ("C(10, 5), or equivalently 252" has two)."""
    forms = []
    for form in ALTERNATIVES.split(reference.strip()):
        form = TRAILING_NOTE.sub("", form.strip())
        forms.append(form)
        forms += [m.group(1) for pattern in STATEMENTS if (m := pattern.match(form))]
    return forms


def _matches(form: str, answer: str) -> bool:
    assigned = ASSIGNED.match(answer)
    if assigned and "=" not in form:
        answer = assigned.group(1).strip()
    if _words(form) == _words(answer):
        return True
    if form.strip().lower() in ("yes", "no"):
        return _words(answer)[:1] == _words(form)
    if _parts(form) == _parts(answer) and len(_parts(form)) > 1:
        return True
    return _same_value(form, answer)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+|[^\sa-z0-9.,;:?]", text.lower())


def _parts(text: str) -> list[str]:
    parts = re.split(r",|\band\b", text.lower())
    return sorted(re.sub(r"\s+", "", p) for p in parts if p.strip())


def _same_value(form: str, answer: str) -> bool:
    left, right = _parse(form), _parse(answer)
    if left is None or right is None:
        return False
    symbols = sorted(left.free_symbols | right.free_symbols, key=str)
    if len(symbols) > 3:
        return False
    try:
        for point in POINTS:
            values = dict(zip(symbols, point))
            a, b = complex(left.evalf(30, subs=values)), complex(right.evalf(30, subs=values))
            if not (math.isfinite(abs(a)) and math.isclose(a.real, b.real, rel_tol=1e-9, abs_tol=1e-12)
                    and math.isclose(a.imag, b.imag, rel_tol=1e-9, abs_tol=1e-12)):
                return False
            if not symbols:
                break
    except (TypeError, ValueError, ArithmeticError, AttributeError):
        return False
    return True


def _parse(text: str):
    """A sympy expression for short, whitelisted text; None for anything else."""
    text = text.strip().replace("**", "^")
    percent = text.endswith("%")
    text = text.rstrip("%").strip()
    if not text or len(text) > 80 or not SAFE_TEXT.match(text) or _too_big(text):
        return None
    if re.search(r"\.(?!\d)|(?<!\d)\.", text) or any(
        len(w) > 1 and w not in WORDS_ALLOWED for w in re.findall(r"[A-Za-z]+", text)
    ):
        return None
    try:
        return _parser()(text) / (100 if percent else 1)
    except Exception:  # noqa: BLE001 - sympy raises many kinds; unparseable is simply no match
        return None


def _too_big(text: str) -> bool:
    return bool(re.search(r"\^\s*\(?\s*\d{7,}|\^[^^+\-*/]*\^|!\s*!|\d{25,}", text))


def _parser():
    import sympy
    from sympy.parsing.sympy_parser import (
        convert_xor, implicit_multiplication_application, parse_expr, standard_transformations,
    )

    names = {"C": sympy.binomial, "binom": sympy.binomial, "sqrt": sympy.sqrt,
             "floor": sympy.floor, "ceil": sympy.ceiling, "pi": sympy.pi}
    transformations = standard_transformations + (convert_xor, implicit_multiplication_application)

    def parse(text: str):
        return parse_expr(text, local_dict=dict(names), transformations=transformations, evaluate=False)

    return parse


def _last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + len("\\boxed")
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    return None


def _clean(text: str) -> str:
    text = text.strip().strip("*").strip()
    text = text.replace("\\(", "").replace("\\)", "").replace("$", "")
    text = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", text)
    text = re.sub(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", text)
    for latex, plain in (("\\cdot", "*"), ("\\times", "*"), ("\\pm", "±"), ("\\le", "≤"), ("\\ge", "≥")):
        text = text.replace(latex, plain)
    return text.strip().rstrip(".").strip()
