"""The chat commands, `/allhands …` in Slack and `@All Hands …` in Teams, answered once for both.

`parse` turns the typed text into a command (`parse.py`), `CommandRunner` runs it against the
core and says what to show as an `Answer` (`runner.py`, `answers.py`); each adapter only reads
the platform's request and renders the answer. The words themselves are `ChatCommand`
(`console.py`) and the help describing them is `GUIDE` (`guide.py`).
"""
