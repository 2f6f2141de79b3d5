"""Worker processes for units, each fed the chunks chosen for it.

A shared pool queue would hand the next chunk to whichever worker is free: neighbouring
files (same package, same imports) would land in different processes, and so would a file
run again in a later round with a helper's name, although one process already summarised
what it reads. Here each worker (a lane) is a forked process with its own pipe, and a dealer
chooses its next chunk:

- in the first round each lane works through its own stretch of the files in path order;
- in a later round a file goes back to the lane that analysed it before; a lane out of
  such files takes the files no lane has analysed yet;
- a lane out of work takes the far end of the stretch with the most left (work stealing),
  and a chunk is a third of what its stretch holds (at most MAX_CHUNK), so the lanes run
  out of work together.

Which lane analyses a unit changes nothing in its answer (a unit's answer does not depend
on the units its project analysed before, tests/test_determinism.py), only the time.

A lane that dies (a native crash, killed for memory) loses only its chunk in flight: those
units go back to the caller, to be run one per process so the culprit is named, and the
other lanes go on.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path
from typing import Any, Callable, Generic, Iterator, TypeVar

MAX_CHUNK = 64  # units; after each chunk a worker looks at its memory budget
SHARE = 3  # a chunk takes this part of what is left in its stretch

Entry = TypeVar("Entry", bound=tuple)


class Dealer(Generic[Entry]):
    """Which entries (`(path, ...)` tuples) each lane analyses next."""

    def __init__(self, entries: list[Entry], lanes: int, homes: dict[Path, int]) -> None:
        ordered = sorted(entries, key=lambda e: str(e[0]))
        self.stretches: list[deque[Entry]] = [deque() for _ in range(lanes)]
        self.unclaimed: deque[Entry] = deque()  # files no lane analysed yet, in a later round
        if not any(homes.get(e[0], lanes) < lanes for e in ordered):
            for i, e in enumerate(ordered):  # the first round: equal stretches, each in path order
                self.stretches[i * lanes // len(ordered)].append(e)
            return
        for e in ordered:
            home = homes.get(e[0], lanes)
            (self.stretches[home] if home < lanes else self.unclaimed).append(e)

    def next_chunk(self, lane: int) -> list[Entry] | None:
        """The next chunk for `lane`: from the front of its own stretch; when that is empty,
        from the unclaimed files; then from the back of the longest stretch. None when
        nothing is left."""
        own = self.stretches[lane]
        if own:
            return [own.popleft() for _ in range(_size(len(own)))]
        if self.unclaimed:
            return [self.unclaimed.popleft() for _ in range(_size(len(self.unclaimed)))]
        longest = max(self.stretches, key=len)
        if not longest:
            return None
        taken = [longest.pop() for _ in range(_size(len(longest)))]
        return taken[::-1]

    def remaining(self) -> list[Entry]:
        """What is left to deal (when no lane is left to deal it to)."""
        return [e for stretch in (*self.stretches, self.unclaimed) for e in stretch]


def _size(left: int) -> int:
    return max(1, min(MAX_CHUNK, -(-left // SHARE)))


class Lane:
    """One forked worker process and the parent's end of its pipe."""

    def __init__(self, index: int, main: Callable[..., None], *args: object) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.index = index
        self.conn, child = context.Pipe()
        # (daemonic: ended with the run whatever happens to it; a lane forks no process
        # through multiprocessing, only os.fork for the newer-syntax check)
        self.process = context.Process(target=main, args=(child, *args), daemon=True)
        self.process.start()
        child.close()  # the child's end lives in the child only: its death closes the pipe
        self.chunk: list | None = None  # the chunk in flight

    def give(self, chunk: list) -> None:
        self.chunk = chunk
        self.conn.send(chunk)


def lane_main(conn, work: Callable[[list], list], setup: Callable[[], object]) -> None:
    """A lane's loop, in its process: a chunk in, its results out, until told to stop."""
    import signal

    # Ctrl-C is the parent's to handle: it stops the lanes (a worker's traceback would only
    # add noise to the terminal)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    setup()
    while True:
        try:
            chunk = conn.recv()
            if chunk is None:
                return
            conn.send(work(chunk))
        except (EOFError, OSError):
            return  # the run is over
        except BaseException:  # noqa: BLE001 - a unit catches its own errors: this is the lane's
            # end as if it had crashed, without a traceback: the parent runs its chunk one
            # unit per process, which names the file
            os._exit(70)


def stop(lanes: list[Lane]) -> None:
    """End the lanes: an idle one is told to stop, a busy one (the run was interrupted) is killed."""
    for lane in lanes:
        if lane.chunk is None:
            try:
                lane.conn.send(None)
            except OSError:
                pass
        else:
            lane.process.kill()
    for lane in lanes:
        lane.process.join(5)
        if lane.process.is_alive():
            lane.process.kill()
            lane.process.join()
        lane.conn.close()


def deal(lanes: list[Lane], dealer: Dealer, on_results: Callable[[Lane, list, list], None],
         on_idle: Callable[[], object] | None = None) -> Iterator[Lane]:
    """Run the dealer's chunks on the lanes until none is left; each chunk and its results
    go to `on_results(lane, chunk, results)`. Yields every lane that died, with its chunk in
    flight (`chunk`), and takes it off `lanes`: it is dealt no more."""
    from multiprocessing.connection import wait

    busy: dict[Any, Lane] = {}  # by the parent's end of the pipe

    def feed(lane: Lane) -> bool:
        """Give `lane` its next chunk; False if the lane is gone (its pipe is closed)."""
        nonlocal on_idle
        chunk = dealer.next_chunk(lane.index)
        if chunk is None:
            if on_idle is not None:
                on_idle()
                on_idle = None
            return True
        try:
            lane.give(chunk)
        except OSError:
            return False
        busy[lane.conn] = lane
        return True

    # lanes with work of their own first: a lane without any would take theirs
    for lane in sorted(lanes, key=lambda lane: not dealer.stretches[lane.index]):
        if not feed(lane):
            lanes.remove(lane)
            yield lane
    while busy:
        for conn in wait(list(busy)):
            lane = busy.pop(conn)
            chunk = lane.chunk
            try:
                results = lane.conn.recv()
            except (EOFError, OSError):
                lanes.remove(lane)
                yield lane
                continue
            lane.chunk = None
            on_results(lane, chunk or [], results)
            if not feed(lane):
                lanes.remove(lane)
                yield lane
