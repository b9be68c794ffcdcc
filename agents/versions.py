"""Package versions recorded with every run, for reproducibility."""

import platform
from importlib import metadata

PACKAGES = ("curriculab", "torch", "transformers", "duckdb", "numpy", "openai", "langgraph",
            "gradio", "peft")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
