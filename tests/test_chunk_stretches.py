"""How a round's chunks are dealt to the workers (gdpr_lint/pipeline/units.py, Stretches):
each worker goes through a stretch of neighbouring chunks, so it summarises the core of
one part of the tree rather than of every part; a worker done with its stretch takes the
last chunk of the stretch with most left. Which worker runs a chunk never changes the
findings (tests/test_determinism.py); every chunk is dealt exactly once."""

from __future__ import annotations

from gdpr_lint.pipeline.units import Stretches


def _chunks(n: int) -> list[list[str]]:
    return [[f"pkg{i}/view.py"] for i in range(n)]


def test_each_worker_starts_at_its_own_stretch_and_goes_on_in_it() -> None:
    chunks = _chunks(10)
    deal = Stretches(chunks, 2)
    assert deal.first() == [(0, chunks[0]), (1, chunks[5])]
    assert [deal.next_for(1) for _ in range(2)] == [chunks[6], chunks[7]]
    assert [deal.next_for(0) for _ in range(4)] == chunks[1:5]


def test_a_worker_done_with_its_stretch_takes_the_farthest_chunk_of_the_fullest() -> None:
    chunks = _chunks(12)
    deal = Stretches(chunks, 3)  # stretches 0-3, 4-7, 8-11
    first = deal.first()
    assert [s for s, _ in first] == [0, 1, 2]
    dealt = [c for _, c in first]
    dealt.append(deal.next_for(1))  # chunk 5: stretch 1 has 2 left, stretch 2 has 3
    dealt += [deal.next_for(0) for _ in range(3)]  # chunks 1-3: stretch 0 is done
    dealt.append(deal.next_for(0))
    assert dealt[-1] == chunks[11]  # the end of the fullest stretch, not its next chunk
    while (c := deal.next_for(1)) is not None:
        dealt.append(c)
    assert deal.next_for(0) is None and deal.next_for(2) is None
    assert sorted(map(str, dealt)) == sorted(map(str, chunks))  # each chunk once


def test_more_workers_than_chunks_and_no_chunks_at_all() -> None:
    chunks = _chunks(3)
    deal = Stretches(chunks, 8)
    assert deal.first() == [(0, chunks[0]), (1, chunks[1]), (2, chunks[2])]
    assert all(deal.next_for(s) is None for s in range(3))
    assert Stretches([], 2).first() == []
