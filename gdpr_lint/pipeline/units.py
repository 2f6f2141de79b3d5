"""Analysis units: the analysis of one entry file (a file that can hold a request,
or a caller of a helper that reaches one) together with whatever it imports.

A unit is the grain of caching (its result is valid while every file it read is
unchanged) and of parallelism (units run in worker processes, lanes.py; a worker
that crashes or a unit that runs over its time limit is reported against its
file and the run fails closed).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from gdpr_lint.config.environment import number
from gdpr_lint.model import CallSite, FileError, Finding
from gdpr_lint.pipeline.prefilter import has_origin_spelling, has_seed_spelling
from gdpr_lint.pipeline.reach import defines_any, guess_root_in_use, may_reach_request, share_memo
from gdpr_lint.pipeline.bodies import KeptBodies
from gdpr_lint.pipeline.source import SourceError, SourceFile, parse_source, sha256, text_source

if TYPE_CHECKING:  # the analysis is loaded where a unit is analysed: a run without one never pays for it
    from gdpr_lint.analysis.program.project import Project
    from gdpr_lint.analysis.vocabulary import Vocabulary

UNIT_TIME_LIMIT = number("GDPR_LINT_UNIT_TIMEOUT", 60)
POOL_MIN_UNITS = 24  # below this a process pool costs more than it saves
# What a process may keep for the rest of a run (MB of resident memory, 0: no limit; default:
# a share of the machine's memory per worker, WORKER_MEMORY_SHARE, at least
# WORKER_MEMORY_MIN_MB): past it, after a chunk, it lets go of its project (modules,
# summaries), the parsed files, the facts of their trees and reach.py's reads, and works them
# out again as later chunks need them (slower, not larger). A budget below what one unit needs
# (LiteLLM's core is 1.3 GB resident once loaded) only makes a worker load it again and again:
# what it let go is not given back to the system (a fragmented heap), so it saves little.
WORKER_MEMORY_MB = number("GDPR_LINT_WORKER_MEMORY_MB", -1)
WORKER_MEMORY_SHARE = 0.4
WORKER_MEMORY_MIN_MB = 1024
# The most a worker process may hold at all (MB of address space; 0: no limit; default: 80% of
# the machine's memory shared by the workers): a file whose analysis grows past it fails
# (closed, "ran out of memory") instead of the system killing the run or its neighbours.
UNIT_MEMORY_MB = number("GDPR_LINT_UNIT_MEMORY_MB", -1)
# Test hook: a unit whose entry file has this name stalls and its alarm goes off at once, as
# if the time limit had passed, so the time-limit path is tested on any machine, however fast
# or slow: the other units keep the whole limit.
_STALL_ENTRY = os.environ.get("GDPR_LINT_TEST_STALL_ENTRY")
# Test hook: a unit whose entry file has this name grows until its worker's memory limit
# (UNIT_MEMORY_MB) stops it, so the limit's path is tested without a pathological input.
_BLOAT_ENTRY = os.environ.get("GDPR_LINT_TEST_BLOAT_ENTRY")


@dataclass
class UnitResult:
    entry: str  # display path of the entry file
    findings: list[Finding] = field(default_factory=list)
    sites: list[CallSite] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    helpers: set[str] = field(default_factory=set)  # functions whose parameters reach a request
    flows: list = field(default_factory=list)  # DataFlows: every datum reaching a request, raw or protected
    deps: dict[str, str] = field(default_factory=dict)  # absolute path -> sha256 of what was read
    transient: bool = False  # stopped by a limit or a crash: reported, but not cached as the file's answer
    parsed: bool = True  # False: answered from bytes (reach.py); under syntax-check = "all" it is compiled
    # line ranges of the entry whose code the analysis did not run (functions it never
    # summarised, top-level code left for later); None: the entry was not analysed
    unanalysed: tuple[tuple[int, int], ...] | None = None
    instances: tuple[tuple[str, str], ...] = ()  # (global, class name): objects of a class the entry holds
    unreadable: bool = False  # the entry itself did not decode or parse: no helper name changes its answer


@dataclass
class UnitContext:
    """What every unit of one run shares (inherited by forked workers)."""

    vocab: Vocabulary
    roots: list[Path]
    cwd: Path
    inputs: dict[Path, tuple[str, bytes]]  # absolute path -> (display, bytes) of every input file
    reported: set[str]  # display paths whose findings are reported
    sanitizers: tuple[str, ...] = ()
    sinks: tuple = ()
    extra_words: frozenset[str] = frozenset()
    exhaustive: bool = False  # analyse every function, not only those the prefilter selects
    parsed: dict[Path, SourceFile] = field(default_factory=dict)  # per-process parse cache
    bodies: KeptBodies = field(default_factory=KeptBodies)  # the run function bodies its trees hold
    project: Project | None = None  # per-process shared project (created in the worker)
    reach_memo: dict = field(default_factory=dict)  # reach.py's reads and verdicts, for every project of the run
    file_probes: dict = field(default_factory=dict)  # where modules' files are, for every project of the run
    memory_threshold: float | None = None  # resident MB past which the caches are let go (None: the budget)
    memory_budget: float | None = None  # WORKER_MEMORY_MB for the run's number of workers (run_units)
    graph_builders: tuple[Path, ...] = ()  # checked files that add nodes to a graph (graph_builders())
    pool: list | None = None  # the run's worker processes (lanes.Lane), kept from one round of units to the next
    homes: dict[Path, int] = field(default_factory=dict)  # entry -> the lane that analysed it last


# A dependency that is no file: the list of checked files that add nodes to a graph
# (LangGraph), for units whose answer rests on it (a node module's state read).
GRAPH_BUILDERS = "<files building graphs>"


def graph_builders(views: dict[Path, bytes]) -> tuple[Path, ...]:
    """The files whose text can add a node to a graph (`builder.add_node(...)`), in order."""
    return tuple(sorted(p for p, view in views.items() if b"add_node" in view))


def builders_digest(builders: tuple[Path, ...]) -> str:
    return sha256("\n".join(map(str, builders)).encode("utf-8", "surrogateescape"))


class UnitTimeout(Exception):
    pass


_HASHES: dict[Path, tuple[bytes, str]] = {}


def _file_hash(path: Path, data: bytes) -> str:
    """sha256 of a file's bytes, once per process for the same bytes object (reach.py
    looks at the same modules for many units; a module the analysis read is named by
    SourceFile.dependency)."""
    hit = _HASHES.get(path)
    if hit is None or hit[0] is not data:
        hit = _HASHES[path] = (data, sha256(data))
    return hit[1]


_alarm_fired = False


def _on_alarm(signum, frame):  # pragma: no cover - exercised through the time-limit test
    global _alarm_fired
    _alarm_fired = True
    raise UnitTimeout()


def analyse_unit(ctx: UnitContext, entry: Path, words: frozenset[str] = frozenset()) -> UnitResult:
    display, data = ctx.inputs[entry]
    result = UnitResult(entry=display)
    use_alarm = hasattr(signal, "setitimer") and _main_thread()
    if use_alarm:
        old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, UNIT_TIME_LIMIT)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 20000))
    global _alarm_fired
    _alarm_fired = False
    try:
        try:
            if _STALL_ENTRY and entry.name == _STALL_ENTRY and use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0.001)
                time.sleep(UNIT_TIME_LIMIT + 60)  # the alarm ends the wait
            if _BLOAT_ENTRY and entry.name == _BLOAT_ENTRY and UNIT_MEMORY_MB > 0:
                hog: list[object] = []
                hog.append(hog)  # held in a cycle, as a project holds its modules
                while len(hog) * 32 < 2 * UNIT_MEMORY_MB:  # the limit must stop it long before
                    hog.append(bytearray(32 << 20))
                raise RuntimeError("the worker's memory limit was not applied")
            _run(ctx, entry, display, data, result, words)
        except Exception as exc:
            # the alarm can go off inside a `finally` that is unwinding; whatever that
            # raises instead is still the time limit
            if _alarm_fired and not isinstance(exc, UnitTimeout):
                raise UnitTimeout() from exc
            raise
    except UnitTimeout:
        result.findings, result.sites, result.transient = [], [], True
        result.errors.append(FileError(display, f"analysis stopped after the {UNIT_TIME_LIMIT:g} s time limit"))
    except RecursionError:
        result.findings, result.sites = [], []
        result.errors.append(FileError(display, "too deeply nested to analyse"))
    except MemoryError:
        result.findings, result.sites, result.transient = [], [], True
        result.errors.append(FileError(display, "ran out of memory during analysis"))
        # what the unit built is held in cycles (a project and its modules): collected now,
        # or the process stays at its limit and every later unit fails for want of memory
        release_caches(ctx)
    except Exception as exc:  # noqa: BLE001 - a bug on one file fails that file (closed), not the run
        if os.environ.get("GDPR_LINT_DEBUG"):
            raise
        result.findings, result.sites, result.transient = [], [], True
        result.errors.append(FileError(display, f"internal error during analysis: {type(exc).__name__}: "
                                                f"{str(exc).splitlines()[0] if str(exc) else ''} (please report this)"))
    else:
        return result
    finally:
        sys.setrecursionlimit(old_limit)
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
    # stopped half-way: the process's shared project may hold half-built summaries that
    # would be wrong for the next unit, so the next unit starts a fresh one
    drop_project(ctx)
    return result


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _decoded(ctx: UnitContext, path: Path, display: str, data: bytes) -> SourceFile:
    """The entry's source: decoded, and parsed already if this process has parsed it."""
    cached = ctx.parsed.get(path)
    if cached is not None and cached.data is data:
        return cached
    return text_source(path, display, data)


def _analysis():
    """The interpreter's entry points, imported on first use: a run without units never
    loads them, and a pool imports them before it forks (run_units), once for every worker."""
    from gdpr_lint.analysis.dataflows import build_flows
    from gdpr_lint.analysis.program.project import Project
    from gdpr_lint.checks.findings import build_findings

    return Project, build_findings, build_flows


def _parsed(ctx: UnitContext, src: SourceFile) -> SourceFile:
    if src.tree is None:
        src.tree = parse_source(src)
        ctx.parsed[src.path] = src
    return src


def _run(ctx: UnitContext, entry: Path, display: str, data: bytes, result: UnitResult,
         words: frozenset[str]) -> None:
    result.deps[str(entry)] = sha256(data)
    Project, build_findings, build_flows = _analysis()
    project = ctx.project
    if project is None:
        # one project per process: modules, classes and summaries are shared by its units
        def load(path: Path) -> bytes | None:
            hit = ctx.inputs.get(path)
            return hit[1] if hit else None

        project = ctx.project = Project(ctx.vocab, roots=list(ctx.roots), cwd=ctx.cwd,
                                        extra_sanitizers=ctx.sanitizers, sinks=ctx.sinks,
                                        input_bytes=load, parse_cache=ctx.parsed, bodies=ctx.bodies,
                                        file_probes=ctx.file_probes,
                                        graph_builders=ctx.graph_builders)
        share_memo(project, ctx.reach_memo)
    project.enter(entry)
    # the names of helpers found elsewhere (`run`, `main`: common words) make a file matter
    # only if it can reach a module defining one (or an OpenAI origin)
    helper_words = words - ctx.extra_words
    words = ctx.extra_words | words
    try:
        src = _decoded(ctx, entry, display, data)
        if not ctx.exhaustive and src.tree is None and _unreachable_before_parsing(project, src, result, words,
                                                                                  helper_words):
            return
        src = _parsed(ctx, src)
    except SourceError as exc:
        result.errors.append(FileError(display, str(exc)))
        result.unreadable = True
        return
    mod = project.add_source(src)
    if not ctx.exhaustive and not has_seed_spelling(src.search_view, words) \
            and not (src.tree is not None and guess_root_in_use(src.tree, src.search_view)):
        return  # `self.responses[code]`: the words, not a request (the answer rests on this file alone)
    hits, reads, helpers = project.analyse_entry(mod, words, exhaustive=ctx.exhaustive)
    modules = project.modules
    result.deps.update(modules[name].source.dependency for name in reads.get("m", ()) if name in modules)
    result.deps.update(dict.fromkeys(project.missing_paths_of(reads.get("x", ())), "missing"))
    if "b" in reads:  # which checked files build graphs: a file that starts to changes the answer
        result.deps[GRAPH_BUILDERS] = builders_digest(ctx.graph_builders)
    for path in reads.get("t", ()):  # template files read
        try:
            result.deps[path] = sha256(Path(path).read_bytes())
        except OSError:
            result.deps[path] = "missing"
    result.errors.extend(project.load_errors[name] for name in reads.get("e", ()) if name in project.load_errors)
    result.findings = build_findings(project, ctx.vocab, reported=ctx.reported, hits=hits)
    result.flows = build_flows(project, ctx.vocab, ctx.reported, hits)
    result.sites = [site for site in project.sites_of(mod, {h.site for h in hits}) if site.path in ctx.reported]
    result.helpers = helpers
    result.unanalysed, result.instances = project.unanalysed_spans(mod, reads), project.instance_classes(mod)


def _unreachable_before_parsing(project: Project, unparsed: SourceFile, result: UnitResult,
                                words: frozenset[str], helpers: frozenset[str] = frozenset()) -> bool:
    """A file whose only request spellings are receiver words (`.files`, `.invoke(`) and from
    which no module holding an origin spelling can be reached (reach.py) is answered from
    bytes: nothing to analyse, and it is not even parsed. The names of helpers found
    elsewhere (`helpers`, among `words`) count where they are defined, not where they are
    mentioned: a file saying `run` matters if it can reach the module defining the helper
    `run`. The answer holds until one of the modules looked at changes (or a module looked
    for appears)."""
    origin_words = words - helpers
    if has_origin_spelling(unparsed.search_view, origin_words) or defines_any(unparsed.search_view, helpers):
        return False
    reach, looked_at = may_reach_request(project, project.module_stub(unparsed), origin_words, helpers)
    if reach:
        return False
    for path, text in looked_at:
        result.deps[str(path)] = "missing" if text is None else _file_hash(path, text)
    result.parsed = False
    return True


# ---------------------------------------------------------------------- running many units

_POOL_CTX: UnitContext | None = None


def _worker(entry: Path, words: frozenset[str]) -> UnitResult:
    assert _POOL_CTX is not None
    return analyse_unit(_POOL_CTX, entry, words)


def _worker_chunk(chunk: list[tuple[Path, frozenset[str]]]) -> list[UnitResult]:
    assert _POOL_CTX is not None
    return list(_run_chunk(_POOL_CTX, chunk))


def _run_chunk(ctx: UnitContext, chunk: list[tuple[Path, frozenset[str]]]) -> Iterable[UnitResult]:
    # The process's project stays for its next chunk: what a package's files share (its
    # core) is summarised once per process, not once per chunk. Which chunks a worker gets
    # varies from run to run; that is safe because a unit's answer does not depend on the
    # units its project analysed before (tests/test_determinism.py).
    for e, words in chunk:
        yield analyse_unit(ctx, e, words)
    budget = ctx.memory_budget if ctx.memory_budget is not None else worker_budget(1)
    threshold = budget if ctx.memory_threshold is None else ctx.memory_threshold
    if budget > 0 and (_resident_mb() or 0) > threshold:
        release_caches(ctx)
        # what the process cannot give back (one large file's analysis, a fragmented heap)
        # stays: the caches may grow by half the budget again before the next release
        ctx.memory_threshold = max(budget, (_resident_mb() or 0) + budget / 2)


def drop_project(ctx: UnitContext) -> None:
    if ctx.project is not None:
        ctx.project.dispose()
        ctx.project = None


def release_caches(ctx: UnitContext) -> None:
    """Drop what the process keeps between chunks (every entry is a function of the files'
    bytes, worked out again when asked for): the answers do not change, only the time."""
    drop_project(ctx)
    ctx.parsed.clear()  # the trees, and with them their facts (symbols.tree_fact)
    ctx.bodies.clear()
    ctx.reach_memo.clear()
    ctx.file_probes.clear()
    _HASHES.clear()
    from gdpr_lint.analysis.reads import forget_items

    forget_items()
    gc.collect()  # the collector is paused during a run (engine._collector_paused): what is left in cycles


def worker_budget(jobs: int) -> float:
    """What a worker may keep between chunks (WORKER_MEMORY_MB; MB, 0: no limit)."""
    if WORKER_MEMORY_MB >= 0:
        return WORKER_MEMORY_MB
    machine = _machine_mb()
    if machine is None:
        return WORKER_MEMORY_MIN_MB
    return max(WORKER_MEMORY_MIN_MB, machine * WORKER_MEMORY_SHARE / max(1, jobs))


def _machine_mb() -> float | None:
    """The machine's memory (MB; None where the system does not tell)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (ValueError, OSError, AttributeError):
        return None


def _limit_worker_memory(jobs: int) -> int | None:
    """Cap this process's address space (UNIT_MEMORY_MB); a pool's initializer. Returns the
    soft limit it replaced (to restore in a process that goes on), None if it set none."""
    limit = UNIT_MEMORY_MB
    if limit < 0:
        machine = _machine_mb()
        if machine is None:
            return None
        limit = machine * 0.8 / max(1, jobs)
    if limit <= 0:
        return None
    try:
        import resource

        cap = int(limit * 2**20)
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft != resource.RLIM_INFINITY and soft <= cap:
            return None
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        return soft
    except (ImportError, ValueError, OSError):
        return None  # not available here (Windows) or not allowed: the system's own limits apply


@contextmanager
def _memory_limited():
    """The cap of _limit_worker_memory around units analysed in this process, lifted after."""
    replaced = _limit_worker_memory(1)
    try:
        yield
    finally:
        if replaced is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (replaced, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _resident_mb() -> float | None:
    """The process's resident memory now (Linux; None where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _chunks(entries: list) -> list[list]:
    """The chunks of a run in this process (a pool of workers deals its own, lanes.py):
    neighbouring files in path order, eight chunks at least, of at most MAX_CHUNK units;
    after each the process looks at its memory budget."""
    from gdpr_lint.pipeline.lanes import MAX_CHUNK

    ordered = sorted(entries, key=lambda e: str(e[0]))
    size = max(1, min(MAX_CHUNK, -(-len(ordered) // 8)))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def run_units(ctx: UnitContext, entries: list[tuple[Path, frozenset[str]]], jobs: int,
              on_done: Callable[[UnitResult], None] | None = None,
              on_idle: Callable[[], object] | None = None) -> list[UnitResult]:
    """Analyse units, in `jobs` worker processes (lanes.py) when there are enough of them.
    The workers, and the project of each, stay for the run's next round (finish_units ends
    them): a file run again with the helpers found goes back to the worker that summarised
    what it reads. `on_idle` is called once, in this process, when a worker has no chunk
    left to start."""
    results: list[UnitResult] = []

    def done(r: UnitResult) -> None:
        results.append(r)
        if on_done is not None:
            on_done(r)

    ctx.memory_budget = worker_budget(jobs)
    # (a round of few units still goes to the pool a round before started: its workers
    # hold what those units read)
    if jobs <= 1 or ctx.pool is None and len(entries) < POOL_MIN_UNITS or sys.platform == "win32":
        with _memory_limited():
            for chunk in _chunks(entries):  # the memory budget is looked at between chunks, as in a pool
                for r in _run_chunk(ctx, chunk):
                    done(r)
        return results
    # imported here: a run with few units (a pre-commit hook) never pays for them
    from functools import partial

    from gdpr_lint.pipeline.lanes import Dealer, Lane, deal, lane_main

    global _POOL_CTX
    if ctx.pool is None:
        _POOL_CTX = ctx
        _analysis()  # imported once, before the workers fork
        ctx.pool = [Lane(i, lane_main, _worker_chunk, partial(_limit_worker_memory, jobs)) for i in range(jobs)]
    dealer = Dealer(entries, jobs, ctx.homes)

    def chunk_done(lane: Lane, chunk: list, chunk_results: list[UnitResult]) -> None:
        for e, _ in chunk:
            ctx.homes[e] = lane.index
        for r in chunk_results:
            done(r)

    # A lane that died (native crash, out of memory, killed) loses its chunk in flight: its
    # units run one per process, so the culprit is named and every other unit is analysed.
    lost = [e for dead in deal(ctx.pool, dealer, chunk_done, on_idle) for e in dead.chunk or ()]
    if not ctx.pool:  # every lane died: what was left is not dealt
        lost += dealer.remaining()
    for e, w in lost:
        done(_isolated(ctx, e, w))
    return results


def finish_units(ctx: UnitContext) -> None:
    """End what run_units kept for the run's next round: the worker processes, this
    process's project."""
    global _POOL_CTX
    lanes, ctx.pool = ctx.pool, None
    if lanes:
        from gdpr_lint.pipeline.lanes import stop

        stop(lanes)  # (a run stopped half-way, Ctrl-C or an error, does not wait for their chunks)
    _POOL_CTX = None
    drop_project(ctx)


def _isolated(ctx: UnitContext, entry: Path, words: frozenset[str]) -> UnitResult:
    """One unit in a worker process of its own (its chunk's worker died): a crash names its file."""
    from functools import partial

    from gdpr_lint.pipeline.lanes import Lane, lane_main, stop

    global _POOL_CTX
    _POOL_CTX = ctx
    lane = Lane(0, lane_main, _worker_chunk, partial(_limit_worker_memory, 1))
    try:
        lane.give([(entry, words)])
        (result,) = lane.conn.recv()
        lane.chunk = None
        return result
    except (EOFError, OSError):
        display = ctx.inputs[entry][0]
        return UnitResult(entry=display, errors=[FileError(display, "the analysis process crashed on this file")],
                          transient=True)
    finally:
        stop([lane])


def merge_findings(groups: Iterable[list[Finding]], vocab: Vocabulary) -> list[Finding]:
    """One finding per (call, code): the data found by every unit, the first path kept."""
    from gdpr_lint.checks.decide import describe

    merged: dict[tuple, Finding] = {}
    for findings in groups:
        for f in findings:
            key = (f.path, f.span.line, f.span.column, f.code)
            have = merged.get(key)
            if have is None:
                merged[key] = f
                continue
            added = [d for d in f.data if d not in have.data]
            if not added:
                continue
            have.data.extend(added)
            have.categories.extend(c for c in f.categories if c not in have.categories)
            have.params = sorted(set(have.params) | set(f.params))
            for cat, exprs in f.known.items():
                have.known.setdefault(cat, []).extend(x for x in exprs if x not in have.known.get(cat, []))
            ranks = {"low": 0, "medium": 1, "high": 2}
            if ranks[f.confidence] > ranks[have.confidence]:
                have.confidence = f.confidence
            have.message, have.severity = describe(have.code, have.endpoint, have.data, have.categories,
                                                   have.params, vocab)
    return sorted(merged.values(), key=Finding.sort_key)
