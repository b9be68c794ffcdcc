"""Test fakes behind the real seams: a scripted OpenAI-compatible chat server."""
