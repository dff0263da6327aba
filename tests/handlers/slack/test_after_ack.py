"""Work after the ack runs in arrival order, and a full backlog holds the next answer back
instead of piling up acked promises a crash would lose.

Nothing here is timed: an answer "held" is one still waiting after the event loop has had every
chance to go on, and the waits for answers are bounded only to turn a hang into a failure.
"""

from __future__ import annotations

import asyncio

from handlers.slack.inbound import AfterAck
from tests.support.eventually import PATIENCE, spin


async def _work(done: list[int], number: int, gate: asyncio.Event) -> None:
    await gate.wait()
    done.append(number)


async def test_a_full_backlog_holds_the_next_answer_until_a_piece_is_done() -> None:
    after_ack = AfterAck(at_once=1, backlog=2, hold_at_most=PATIENCE)  # room, not time, decides
    gate, done = asyncio.Event(), []
    await after_ack.start(_work(done, 1, gate))
    await after_ack.start(_work(done, 2, gate))

    third = asyncio.create_task(after_ack.start(_work(done, 3, gate)))
    await spin()
    assert not third.done()  # the answer to a third request waits for room

    gate.set()
    await asyncio.wait_for(third, PATIENCE)
    await after_ack.drain(PATIENCE)
    assert done == [1, 2, 3]


async def test_stuck_work_holds_an_answer_only_so_long() -> None:
    """Slack wants its answer within 3 s even when every piece is waiting on something."""
    after_ack, gate, done = AfterAck(at_once=1, backlog=1, hold_at_most=0.1), asyncio.Event(), []
    await after_ack.start(_work(done, 1, gate))

    await asyncio.wait_for(after_ack.start(_work(done, 2, gate)), PATIENCE)  # answered, stuck

    gate.set()
    await after_ack.drain(PATIENCE)
    assert done == [1, 2]
    third = asyncio.create_task(after_ack.start(_work(done, 3, gate)))
    await spin()
    assert third.done()  # its room came back: no waiting out `hold_at_most` again


async def test_drain_waits_for_the_work_already_started() -> None:
    after_ack, gate, done = AfterAck(), asyncio.Event(), []
    await after_ack.start(_work(done, 1, gate))
    asyncio.get_running_loop().call_later(0.05, gate.set)

    await after_ack.drain(PATIENCE)

    assert done == [1]
