"""Quality checks on generated examples: verification, deduplication, decontamination and
the already-known filter."""
