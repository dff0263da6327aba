"""Log lines with personal data masked, whichever logger wrote them and whoever handles them.

Masked where records are made (the logging module's record factory) rather than in one handler,
so every handler sees the masked line: the JSON formatter, a test's capture, a library's DEBUG
output of a request body that carried a customer's words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.privacy.masking import Masker

MaskerSource = Callable[[], Masker]


class _MaskingFactory:
    """Wraps the factory that was installed before; `source` gives the masker of the moment."""

    def __init__(self, inner: Callable[..., logging.LogRecord], source: MaskerSource) -> None:
        self.inner = inner
        self.source = source

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a call with the wrong arguments: logging reports it
            return record
        masked = self.source().mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record


def install_log_masking(source: MaskerSource) -> None:
    """Mask every log record from now on with `source()`; installing again replaces the
    source, so a process that builds a new server keeps one factory."""
    current = logging.getLogRecordFactory()
    if isinstance(current, _MaskingFactory):
        current.source = source
    else:
        logging.setLogRecordFactory(_MaskingFactory(current, source))
