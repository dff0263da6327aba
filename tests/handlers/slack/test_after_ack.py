"""Work after the ack runs in arrival order, and a full backlog holds the next answer back
instead of piling up acked promises a crash would lose."""

from __future__ import annotations

import asyncio

from handlers.slack.inbound import AfterAck


async def _work(done: list[int], number: int, gate: asyncio.Event) -> None:
    await gate.wait()
    done.append(number)


async def test_a_full_backlog_holds_the_next_answer_until_a_piece_is_done() -> None:
    after_ack, gate, done = AfterAck(at_once=1, backlog=2), asyncio.Event(), []
    await after_ack.start(_work(done, 1, gate))
    await after_ack.start(_work(done, 2, gate))

    third = asyncio.create_task(after_ack.start(_work(done, 3, gate)))
    await asyncio.sleep(0.05)
    assert not third.done()  # the answer to a third request waits for room

    gate.set()
    await asyncio.wait_for(third, 1)
    await after_ack.drain(1)
    assert done == [1, 2, 3]


async def test_stuck_work_holds_an_answer_only_so_long() -> None:
    """Slack wants its answer within 3 s even when every piece is waiting on something."""
    after_ack, gate, done = AfterAck(at_once=1, backlog=1, hold_at_most=0.1), asyncio.Event(), []
    await after_ack.start(_work(done, 1, gate))

    await asyncio.wait_for(after_ack.start(_work(done, 2, gate)), 1)

    gate.set()
    await after_ack.drain(1)
    assert done == [1, 2]
    await asyncio.wait_for(after_ack.start(_work(done, 3, gate)), 0.05)  # its room came back


async def test_drain_waits_for_the_work_already_started() -> None:
    after_ack, gate, done = AfterAck(), asyncio.Event(), []
    await after_ack.start(_work(done, 1, gate))
    asyncio.get_running_loop().call_later(0.05, gate.set)

    await after_ack.drain(1)

    assert done == [1]
