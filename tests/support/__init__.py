"""What the tests share: fakes of the chat platforms, builders, the one way to build a Core.

Test modules import from here and nowhere else in tests/; conftest.py files only turn these
into fixtures.
"""
