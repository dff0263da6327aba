"""Test doubles of the chat platforms' services, run as real local HTTP servers."""
