"""Worker lanes (pipeline/lanes.py): which chunks each worker process gets, and that the
processes end with the run, interrupted or not. That a unit's answer does not depend on
the worker it runs in is tested in test_determinism.py and test_helper_rounds.py; a lane
that dies is tested in test_hostile_inputs.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from gdpr_lint.pipeline.lanes import MAX_CHUNK, Dealer


def _entries(count: int, folder: str = "pkg") -> list[tuple[Path, frozenset[str]]]:
    return [(Path(f"{folder}/m{i:05d}.py"), frozenset()) for i in range(count)]


def _drain(dealer: Dealer, order: list[int]) -> dict[int, list[list]]:
    """Chunks per lane, the lanes asking in `order` (repeated) until nothing is left."""
    got: dict[int, list[list]] = {lane: [] for lane in set(order)}
    while True:
        progressed = False
        for lane in order:
            chunk = dealer.next_chunk(lane)
            if chunk is not None:
                got[lane].append(chunk)
                progressed = True
        if not progressed:
            return got


@pytest.mark.parametrize("count,lanes", [(1, 2), (7, 2), (40, 2), (605, 2), (3000, 2), (605, 4)])
def test_a_first_round_deals_each_lane_its_own_stretch_in_path_order(count, lanes):
    entries = _entries(count)[::-1]
    dealer = Dealer(entries, lanes, homes={})
    ordered = sorted(entries, key=lambda e: str(e[0]))
    stretches = [list(s) for s in dealer.stretches]
    assert [e for s in stretches for e in s] == ordered  # contiguous, in path order, each once
    assert max(map(len, stretches)) - min(map(len, stretches)) <= 1
    # every lane asking in turn: each takes from the front of its own stretch, in shrinking
    # chunks of at most MAX_CHUNK, and every unit is dealt once
    got = _drain(dealer, list(range(lanes)))
    dealt = [e for chunks in got.values() for c in chunks for e in c]
    assert sorted(dealt, key=lambda e: str(e[0])) == ordered
    for lane, chunks in got.items():
        assert [e for c in chunks for e in c] == stretches[lane]
        assert all(0 < len(c) <= MAX_CHUNK for c in chunks)
        sizes = [len(c) for c in chunks]
        assert sizes == sorted(sizes, reverse=True) and (not sizes or sizes[-1] == 1)


def test_a_lane_out_of_work_takes_the_far_end_of_the_longest_stretch():
    dealer = Dealer(_entries(300), 2, homes={})
    first_half = list(dealer.stretches[0])
    while dealer.stretches[0]:  # lane 0 runs through its stretch while lane 1 is busy
        dealer.next_chunk(0)
    stolen = dealer.next_chunk(0)
    assert stolen is not None and 0 < len(stolen) <= MAX_CHUNK
    assert stolen == sorted(stolen, key=lambda e: str(e[0]))  # in path order
    assert stolen[-1][0] == Path("pkg/m00299.py")  # the last file: lane 1 goes on from its front
    assert dealer.next_chunk(1)[0][0] == Path("pkg/m00150.py")
    assert not set(stolen) & set(first_half)


def test_a_later_round_deals_files_back_to_the_lane_that_analysed_them():
    src, tests = _entries(40, "src"), _entries(40, "tests")
    homes = {e[0]: 1 for e in src[:20]} | {e[0]: 0 for e in tests}
    new = _entries(5, "docs")  # analysed by no lane yet
    dealer = Dealer(src[:20] + tests + new, 2, homes)
    assert list(dealer.stretches[1]) == src[:20] and list(dealer.stretches[0]) == tests
    assert list(dealer.unclaimed) == new
    # lane 1 runs out of its own files first: then the unclaimed ones, then lane 0's far end
    got = []
    while dealer.stretches[1]:
        got.extend(dealer.next_chunk(1))
    assert got == src[:20]
    assert dealer.next_chunk(1) == new[:2]
    assert dealer.next_chunk(1) + dealer.next_chunk(1) + dealer.next_chunk(1) == new[2:]
    stolen = dealer.next_chunk(1)
    assert stolen == tests[-len(stolen):]


def test_a_home_beyond_the_lanes_of_this_run_counts_as_none():
    # (lanes of a run are numbered from 0; a home from a run with more lanes is no home)
    entries = _entries(6)
    dealer = Dealer(entries, 2, homes={entries[0][0]: 5, entries[1][0]: 1})
    assert list(dealer.stretches[1]) == entries[1:2]
    assert list(dealer.unclaimed) == [entries[0]] + entries[2:]


@pytest.mark.skipif(sys.platform == "win32", reason="fork-based workers")
def test_no_worker_is_left_behind_when_the_run_is_interrupted(tmp_path: Path, monkeypatch) -> None:
    import multiprocessing

    from helpers import write_files
    from gdpr_lint.config.settings import ConfigResolver
    from gdpr_lint.pipeline import engine, units
    from gdpr_lint.pipeline.engine import analyse_paths

    files = {f"clinic/letters_{i:02d}.py": f'''
        from openai import OpenAI

        client = OpenAI()


        def letter_{i}(patient):
            return client.responses.create(model="gpt-4o-mini", input=f"Write to {{patient.email}}")
        ''' for i in range(units.POOL_MIN_UNITS + 4)}
    root = write_files(tmp_path, files)
    started: list[int] = []
    real_run_units = units.run_units

    def interrupted(ctx, entries, jobs, on_done=None, on_idle=None):
        def first_result(r):
            # the workers have started and are busy with their first chunks: Ctrl-C
            started.extend(lane.process.pid for lane in ctx.pool)
            raise KeyboardInterrupt

        return real_run_units(ctx, entries, jobs, first_result, on_idle)

    monkeypatch.setattr(engine, "run_units", interrupted)
    with pytest.raises(KeyboardInterrupt):
        analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=2)
    assert len(started) == 2
    for pid in started:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not multiprocessing.active_children()
