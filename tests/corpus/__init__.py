"""The bad-input corpus: inputs a careful tester tried, as data, and the test that runs them."""
