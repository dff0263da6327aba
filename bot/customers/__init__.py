"""The customer behind an item, as its card tells it: their earlier items (`story.py`) and the
account fields the company's own look-up gives (`accounts.py`), assembled per card render
(`stories.py`)."""
