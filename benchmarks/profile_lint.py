"""Profile gdpr-lint (one process, no cache) with cProfile and print the hotspots.

    python benchmarks/profile_lint.py DIR [--top 25] [--output prof.pstats]

Runs `gdpr-lint check -j 1 --no-cache DIR` in-process under cProfile and prints the
functions of gdpr-lint with the largest cumulative time, then the largest own
(tottime) times overall. For corpus (a): make_corpora.py WORKDIR, then
DIR = WORKDIR/openai_heavy.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import sys
import time


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--output", help="also save the raw profile here (for snakeviz/pstats)")
    args = ap.parse_args()
    from gdpr_lint.cli.commands import main as cli_main

    os.chdir(args.dir)
    prof = cProfile.Profile(time.process_time)  # CPU time: robust on a loaded machine
    t0, c0 = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        prof.enable()
        try:
            cli_main(["check", "-j", "1", "--no-cache", "--output-format", "json", "."], standalone_mode=False)
        except SystemExit:  # exit 1: findings
            pass
        finally:
            prof.disable()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if args.output:
        prof.dump_stats(args.output)
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s (under cProfile; times below are CPU seconds)\n")
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # tottime summed = profiled CPU

    def rows(key: int, only_ours: bool):
        items = []
        for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
            if only_ours and "gdpr_lint" not in file:
                continue
            short = file[file.find("gdpr_lint"):] if "gdpr_lint" in file else os.path.basename(file)
            items.append((ct if key == 3 else tt, nc, tt, ct, f"{short}:{line}({func})"))
        return sorted(items, reverse=True)[: args.top]

    print(f"Cumulative time, gdpr-lint functions (total own time profiled {total:.1f} s):")
    print(f"{'cum s':>8} {'cum %':>6} {'own s':>7} {'calls':>9}  function")
    for _, nc, tt, ct, name in rows(3, True):
        print(f"{ct:8.2f} {100 * ct / total:6.1f} {tt:7.2f} {nc:9d}  {name}")
    print("\nOwn time (tottime), all functions:")
    print(f"{'own s':>8} {'own %':>6} {'cum s':>7} {'calls':>9}  function")
    for _, nc, tt, ct, name in rows(2, False):
        print(f"{tt:8.2f} {100 * tt / total:6.1f} {ct:7.2f} {nc:9d}  {name}")


if __name__ == "__main__":
    sys.exit(main())
