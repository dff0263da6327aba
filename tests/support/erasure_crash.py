"""`python -m tests.support.erasure_crash DB_URL EMAIL`: erase EMAIL one item per transaction
and die, as a killed process does, right after the second batch is committed."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from bot.ports.clock import SystemClock
from bot.privacy.erasure import Erasure
from storage.repositories.erasures import ErasureRepository
from storage.uow import SqlStore, SqlUnitOfWork

BATCHES_BEFORE_DEATH = 2
KILLED = 9


def main(db_url: str, email: str) -> None:
    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    progressed = 0
    real_progress, real_commit = ErasureRepository.progress, SqlUnitOfWork.commit

    def progress(self: ErasureRepository, *args: Any) -> bool:
        nonlocal progressed
        progressed += 1
        return real_progress(self, *args)

    def commit(self: SqlUnitOfWork) -> None:
        real_commit(self)
        if progressed >= BATCHES_BEFORE_DEATH:
            os._exit(KILLED)  # no cleanup, no lease given back: a kill

    ErasureRepository.progress = progress  # type: ignore[method-assign]
    SqlUnitOfWork.commit = commit  # type: ignore[method-assign]
    # The store and the erasure alone: the whole app would take seconds to import.
    Erasure(SqlStore.connect(db_url), SystemClock(), batch=1).forget(email)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
