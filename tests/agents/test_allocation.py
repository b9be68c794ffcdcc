import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.allocation import largest_remainder


def test_proportional_and_exact():
    assert largest_remainder({"a": 1, "b": 1, "c": 2}, 8) == {"a": 2, "b": 2, "c": 4}
    assert sum(largest_remainder({"a": 1, "b": 1, "c": 1}, 10).values()) == 10


def test_all_zero_weights_fall_back_to_even():
    assert largest_remainder({"a": 0, "b": 0}, 4) == {"a": 2, "b": 2}


def test_negative_budget_is_refused():
    with pytest.raises(ValueError):
        largest_remainder({"a": 1}, -1)


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.floats(0, 10), min_size=1, max_size=12),
       st.integers(0, 5000))
def test_counts_always_sum_to_budget(weights, budget):
    counts = largest_remainder(weights, budget)
    assert sum(counts.values()) == budget and set(counts) == set(weights)
    assert all(c >= 0 for c in counts.values())
