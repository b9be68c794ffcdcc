"""The example-writing graph: write batches -> (answer again) -> check -> top up or finish."""
