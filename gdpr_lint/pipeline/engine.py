"""The pipeline: discover -> read -> parse -> analyse -> select/suppress -> (report).

Everything a command needs comes back in one RunResult; the CLI only renders it.
"""

from __future__ import annotations

import fnmatch
import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from gdpr_lint.fix.instruction import fix_instruction
from gdpr_lint.config.settings import ConfigError, ConfigResolver, Settings
from gdpr_lint.pipeline.discovery import Discovery, display_path
from gdpr_lint.config.environment import whole_number
from gdpr_lint.pipeline.cache import CACHE_DIR_NAME, Cache
from gdpr_lint.analysis.program.importpath import module_path
from gdpr_lint.model import CallSite, FileError, Finding, Span
from gdpr_lint.pipeline.prefilter import HelperMentions, helper_uses, may_matter, origin_and_seed
from gdpr_lint.pipeline.reach import imported_names, names_any, origin_in_any
from gdpr_lint.pipeline.source import NotPythonSource, SourceError, SourceFile, read_bytes, read_source, sha256, text_source
from gdpr_lint.pipeline.syntax_check import SyntaxCheck
from gdpr_lint.pipeline.units import (
    GRAPH_BUILDERS,
    UnitContext,
    UnitResult,
    builders_digest,
    graph_builders,
    finish_units,
    merge_findings,
    run_units,
)
from gdpr_lint.pipeline.suppression import apply_suppressions

if TYPE_CHECKING:
    from gdpr_lint.analysis.vocabulary import Vocabulary


# Set by command-line options that apply to every command (--no-cache, --jobs, progress,
# the hidden debugging flag --no-prefilter).
RUN_DEFAULTS: dict[str, Any] = {"use_cache": True, "jobs": None, "progress": None, "exhaustive": False}


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    sites: list[CallSite] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0
    sources: dict[str, SourceFile] = field(default_factory=dict)  # display path -> source
    settings: dict[str, Settings] = field(default_factory=dict)  # display path -> settings
    suppressed: list[Finding] = field(default_factory=list)
    units: int = 0  # analysis units run or taken from the cache
    unit_files: list[str] = field(default_factory=list)  # display paths of the entry files analysed (-v)
    cached_units: list[str] = field(default_factory=list)  # those answered from the cache
    flows: list = field(default_factory=list)  # DataFlows (gdpr_lint/dataflows.py), raw and protected
    cache: Any = None
    # files not checked themselves, read to report a call reached through a checked one
    context_files: set[str] = field(default_factory=set)


def _vocabulary(settings: list[Settings]) -> Vocabulary:
    from gdpr_lint.analysis.vocabulary import Vocabulary, default_vocabulary

    extra: dict[str, list[str]] = {}
    for s in settings:
        for cat, terms in s.personal_data:
            extra.setdefault(cat, []).extend(terms)
    rule_files = {f: cats for s in settings for f, cats in s.extend_rules}  # `extend-rules`, each file once
    if not extra and not rule_files:
        return default_vocabulary()
    if rule_files:
        from gdpr_lint.config.settings import merged_vocabulary_data

        vocab = Vocabulary(merged_vocabulary_data(rule_files.values()))
    else:
        base = default_vocabulary()
        vocab = Vocabulary.__new__(Vocabulary)
        vocab.__dict__.update({k: (dict(v) if isinstance(v, dict) else v) for k, v in base.__dict__.items()})
    vocab.extend(extra)
    return vocab


def per_file_ignored(finding: Finding, settings: Settings, path: Path) -> bool:
    if not settings.per_file_ignores:
        return False
    root = settings.root or Path.cwd()
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError:
        rel = path.as_posix()
    for glob, codes in settings.per_file_ignores:
        if finding.code in codes and (fnmatch.fnmatch(rel, glob) or fnmatch.fnmatch(path.name, glob)):
            return True
    return False


def _companions(inputs: dict[Path, tuple[str, bytes]], views: dict[Path, bytes], roots: list[Path], cwd: Path,
                sink_words: frozenset[str]) -> dict[Path, tuple[str, bytes]]:
    """The project modules the input files import (by their import statements) that may
    hold a request themselves; their search views join `views`."""
    from gdpr_lint.pipeline.reach import imported_names

    out: dict[Path, tuple[str, bytes]] = {}
    for path, (_display, data) in list(inputs.items()):
        root = next((r for r in roots if path.is_relative_to(r)), None)
        if root is None:
            continue
        rel = path.relative_to(root).with_suffix("")
        package = rel.name == "__init__"
        modname = ".".join(rel.parts[:-1] if package else rel.parts)
        names, _ = imported_names(data, modname, package)
        for dotted in names:
            for base in roots:
                stem = base.joinpath(*dotted.split("."))
                for candidate in (stem.with_suffix(".py"), stem / "__init__.py"):
                    if candidate in inputs or candidate in out or not candidate.is_file():
                        continue
                    try:
                        raw = read_bytes(candidate)
                        src = text_source(candidate, display_path(candidate, cwd), raw)
                    except (OSError, SourceError):
                        continue
                    if may_matter(src.search_view, sink_words):
                        out[candidate] = (src.display, raw)
                        views[candidate] = src.search_view
    return out


def _add_source(result: RunResult, resolver: ConfigResolver, cwd: Path, display: str) -> None:
    """The source and settings of a file holding a reported call that was not an input."""
    path = Path(display) if Path(display).is_absolute() else cwd / display
    try:
        result.sources[display] = read_source(path, display)
        result.settings[display] = resolver.for_path(path)
        result.context_files.add(display)
    except (OSError, SourceError, ConfigError):
        pass  # not readable now: the finding is dropped with its file, as before


def _code_reported(settings_by_display: dict, sources: dict, path: str, code: str) -> bool:
    """Whether findings of `code` in the file at `path` would be reported (select/ignore/per-file-ignores)."""
    settings = settings_by_display.get(path)
    if settings is None or code not in settings.enabled_codes():
        return False
    probe = Finding(code=code, path=path, span=Span(1, 1, 1, 1), message="", severity="low", confidence="low")
    return not per_file_ignored(probe, settings, sources[path].path)


def analyse_paths(paths: list[Path], resolver: ConfigResolver, **options: Any) -> RunResult:
    """`exhaustive`: no prefilter and no relevance selection: every file is an analysis
    unit and every function in it is analysed (slow; for debugging and for the tests that
    prove the fast path loses no finding). Exhaustive runs neither read nor write the cache."""
    with _collector_paused():
        return _analyse_paths(paths, resolver, **options)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The analysis allocates millions of small objects (syntax trees, abstract values) that
    live until the run ends or their chunk's project is dropped, and a dropped project breaks
    its own cycles (`Project.dispose`): reference counting frees it. The cyclic collector
    would only walk the growing heap again and again (45% of the CPU time on the
    OpenAI-heavy benchmark with the default thresholds, still a tenth with thresholds raised
    a hundredfold), so it is paused for the run; a worker past its memory budget still
    collects (units.release_caches). At the end, what the run allocated is handed to the
    oldest generation without a walk (freeze, unfreeze)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def _analyse_paths(paths: list[Path], resolver: ConfigResolver, *, force_exclude: bool = False,
                   stdin: tuple[str, bytes] | None = None, use_cache: bool | None = None,
                   jobs: int | None = None, progress: Callable[[int, int], None] | None = None,
                   exhaustive: bool | None = None) -> RunResult:
    exhaustive = RUN_DEFAULTS.get("exhaustive", False) if exhaustive is None else exhaustive
    use_cache = (RUN_DEFAULTS["use_cache"] if use_cache is None else use_cache) and not exhaustive
    jobs = jobs or RUN_DEFAULTS["jobs"] or _default_jobs()
    progress = progress or RUN_DEFAULTS["progress"]
    result = RunResult()
    cwd = resolver.cwd
    discovery = Discovery(resolver, force_exclude=force_exclude)
    files, errors = discovery.files(paths) if paths else ([], [])
    result.errors.extend(errors)

    # read: every input file's bytes, decoded (undecodable files are reported here)
    inputs: dict[Path, tuple[str, bytes]] = {}
    settings_by_file: dict[Path, Settings] = {}
    pending: list[tuple[Path, bytes | None]] = [(f, None) for f in files]
    if stdin is not None:
        pending.append((Path(stdin[0]).absolute(), stdin[1]))
    skipped = 0
    for path, data in pending:
        display = display_path(path, cwd)
        settings_by_file[path] = resolver.for_folder(path.parent)  # (discovery's files and standard input: no folder)
        named = data is not None or path in discovery.explicit  # standard input, or named on the command line
        try:
            data = read_bytes(path) if data is None else data
            src = text_source(path, display, data)
        except NotPythonSource as exc:
            if not named:  # an R or Julia notebook found in a folder: not Python, like a .R file
                del settings_by_file[path]
                skipped += 1
                continue
            result.errors.append(FileError(display, str(exc)))
            continue
        except SourceError as exc:
            result.errors.append(FileError(display, str(exc)))
            continue
        inputs[path] = (display, data)
        result.sources[display] = src
        result.settings[display] = settings_by_file[path]
    result.files = len(pending) - skipped

    all_settings = list({id(s): s for s in settings_by_file.values()}.values())
    roots = sorted({s.root for s in all_settings if s.root} | {cwd})
    for s in all_settings:
        for extra in s.src:
            roots.append(((s.root or cwd) / extra).resolve())
    sinks = tuple(x for s in all_settings for x in s.sinks)
    sink_words = frozenset(x.function.split(".")[-1] for x in sinks)
    settings_fp = "|".join(sorted({s.fingerprint() for s in all_settings}))
    cache = Cache(_cache_dir(all_settings, cwd) if use_cache else None)
    result.cache = cache
    hashes: dict[str, str | None] = {}

    def current_hash(path: str) -> str | None:
        if path not in hashes:
            hit = inputs.get(Path(path))
            if hit is not None:
                hashes[path] = sha256(hit[1])
            else:
                try:
                    hashes[path] = sha256(Path(path).read_bytes())
                except OSError:
                    hashes[path] = None
        return hashes[path]

    # analyse: the files that may hold a request, and what they lead to (_analyse_units)
    views = {p: result.sources[display].search_view for p, (display, _) in inputs.items()}
    explicit = [p for p in paths if p.is_file()]  # files named one by one (a pre-commit run)
    if exhaustive:
        seeds = set(inputs)
    else:
        spelled = {p: origin_and_seed(view, sink_words) for p, view in views.items()}
        origins = {p for p, (origin, _) in spelled.items() if origin}
        seeds = {p for p, (_, seed) in spelled.items() if seed}
        if seeds and not explicit and not result.errors and _no_openai_here(
                discovery, roots, seeds, [result.sources[inputs[p][0]] for p in sorted(origins)], views, sink_words):
            seeds = set()
    # Files whose bytes cannot hold or feed a request are not parsed: no finding can come
    # from them, and a file that does not compile cannot be imported into one that can.
    # Under `syntax-check = "all"` they are compiled all the same, so a syntax error
    # anywhere fails the run; that check runs in child processes while the analysis runs.
    def compile_all(p: Path) -> bool:
        return settings_by_file[p].syntax_check == "all"

    syntax = SyntaxCheck({p: v for p, v in inputs.items() if p not in seeds and compile_all(p)}, cache, jobs)
    # Files named one by one (a pre-commit run passes the changed files): the project
    # modules they import that hold a request are analysed with them, unreported, so a
    # changed caller feeding an unchanged helper is reported at the helper's request.
    companions = {} if exhaustive or not explicit else _companions(inputs, views, roots, cwd, sink_words)
    units_in = {**inputs, **companions}
    seeds = seeds | set(companions)
    from_cache: set[Path] = set()
    latest: dict[Path, UnitResult] = {}
    try:
        if seeds:  # (code without OpenAI use has none: the vocabulary is not even built)
            vocab = _vocabulary(all_settings)
            builders = graph_builders(views)
            hashes[GRAPH_BUILDERS] = builders_digest(builders)
            # a configured wrapper's name is a request spelling in every unit (not only a seed)
            ctx = UnitContext(vocab=vocab, roots=list(roots), cwd=cwd, inputs=units_in,
                              reported={d for d, _ in inputs.values()},
                              sanitizers=tuple(x for s in all_settings for x in s.sanitizers), sinks=sinks,
                              extra_words=sink_words, exhaustive=exhaustive, graph_builders=builders)
            try:
                latest = _analyse_units(ctx, units_in, views, seeds, cache, settings_fp, current_hash, jobs, progress,
                                        exhaustive, from_cache, uncached=set(companions))
            finally:
                finish_units(ctx)
    except BaseException:
        syntax.close()
        raise
    finally:
        if hasattr(progress, "finish"):
            progress.finish()  # a progress line on the terminal is wiped before anything is reported
    result.units = len(latest)
    result.unit_files = sorted(units_in[p][0] for p in latest)
    result.cached_units = sorted(units_in[p][0] for p in latest if p in from_cache)
    result.errors.extend(syntax.errors(set(latest)))
    # seeds answered from bytes (reach.py) were not parsed either
    unparsed = {p: inputs[p] for p, r in latest.items() if p in inputs and not r.parsed and compile_all(p)}
    if unparsed:
        result.errors.extend(SyntaxCheck(unparsed, cache, jobs).errors(set()))
    # the units' answers in the order of their entry files, not of which process finished
    # first: where two units report one call, the path shown is the same on every run
    answers = [latest[p] for p in sorted(latest, key=str)]
    findings = merge_findings((r.findings for r in answers), vocab) if answers else []
    seen_sites: dict[tuple, CallSite] = {}
    for r in answers:
        for site in r.sites:
            seen_sites.setdefault((site.path, site.span.line, site.span.column), site)
        result.errors.extend(r.errors)
    result.sites = sorted(seen_sites.values(), key=lambda s: (s.path, s.span.line, s.span.column))
    result.errors = sorted({(e.path, e.message): e for e in result.errors}.values(), key=lambda e: (e.path, e.message))
    if latest:
        from gdpr_lint.analysis.dataflows import merge_flows

        result.flows = merge_flows(r.flows for r in answers)
    if result.sites:  # GDPR010 (opt-in)
        from gdpr_lint.checks.residency import residency_findings

        findings += residency_findings(result.sites, result.flows, vocab, result.settings)
    findings.sort(key=Finding.sort_key)
    by_display = result.sources
    for f in findings:  # at a call outside the checked files, reached through them: read that file too
        if f.path not in by_display:
            _add_source(result, resolver, cwd, f.path)
        if f.path in result.context_files and f.fixable:
            # this run does not rewrite a file it was not given
            f.fixable = False
            f.fix_hint = (f"{f.path} was not named (the call is reached through a named file): "
                          f"check it with {fix_instruction(f.path)}")
    kept = []
    for f in findings:
        settings = result.settings.get(f.path)
        if settings is None:
            continue
        if f.code not in settings.enabled_codes():
            continue
        if per_file_ignored(f, settings, by_display[f.path].path):
            continue
        kept.append(f)
    result.findings = kept
    result.findings, result.suppressed, stale = apply_suppressions(
        kept, by_display, lambda path, code: _code_reported(result.settings, by_display, path, code))
    result.findings = sorted(result.findings + stale, key=Finding.sort_key)
    if any(src.notebook is not None for src in result.sources.values()):
        from gdpr_lint.pipeline.notebook import to_cell_positions

        to_cell_positions(result)  # notebooks: from lines of the cells together to (cell, line, column)
    return result


def _no_openai_here(discovery: Discovery, roots: list[Path], seeds: set[Path], origins: list[SourceFile],
                    views: dict[Path, bytes], words: frozenset[str]) -> bool:
    """Code without OpenAI use, decided for the whole run instead of import by import: no
    input file can make an OpenAI object, and the folders walked hold every module an import
    can find from the seeds' import roots (what was left out, no file names). Then no seed can
    reach an origin (reach.may_reach_request would answer False for each): none is a unit."""
    if origin_in_any(origins, words):
        return False
    import_roots = sorted({r.resolve() for r in roots} | {module_path(p.resolve())[1] for p in seeds})
    unwalked = discovery.unwalked_module_names(import_roots)
    return unwalked is not None and not names_any(unwalked, views.values())


def _analyse_units(ctx: UnitContext, inputs: dict, views: dict[Path, bytes], seeds: set[Path], cache: Cache, settings_fp: str,
                   current_hash: Callable[[str], str | None], jobs: int,
                   progress: Callable[[int, int], None] | None, exhaustive: bool,
                   from_cache: set[Path] | None = None,
                   uncached: frozenset[Path] | set[Path] = frozenset()) -> dict[Path, UnitResult]:
    """Units are the files that may hold a request, then, round by round, the files that
    call a helper whose parameters reach one (demand-driven). Returns the result per file;
    `from_cache` collects the files whose latest result came from the cache."""
    from_cache = set() if from_cache is None else from_cache
    latest: dict[Path, UnitResult] = {}
    words_used: dict[Path, frozenset[str]] = {}
    helpers: set[str] = set()
    done = total = 0  # unit runs finished / planned so far (a later round may add runs)
    # what a module of this project can be called: a name outside it is a library's
    project_names = {part for p in inputs for part in (*p.parent.parts, p.stem)}
    mentions = HelperMentions(views)
    for _round in range(8):
        if exhaustive and _round:
            break  # every file was a unit with every function analysed: helper words add nothing
        helper_words = mentions.in_files(helpers)
        todo: list[tuple[Path, frozenset[str], frozenset[str]]] = []  # (file, words, words new to it)
        for p in inputs:
            words = helper_words.get(p, frozenset())
            if p not in seeds and not words:
                continue
            new_words: frozenset[str] = frozenset()
            if p in words_used:
                # a unit already followed the helpers it found itself (its own, and those
                # of the modules it imports); re-run only for helpers found elsewhere
                handled = words_used[p] | (latest[p].helpers if p in latest else frozenset())
                if words <= handled:
                    continue
                new_words = words - handled
                words = words - (latest[p].helpers if p in latest else frozenset()) | words_used[p]
            todo.append((p, words, new_words))
        if not todo:
            break
        total += len(todo)
        fresh: list[tuple[Path, frozenset[str], str]] = []
        for p, words, new_words in todo:
            words_used[p] = words
            key = cache.key(p, current_hash(str(p)) or "", settings_fp, words)
            # a companion's answer holds only what reaches the checked files: not the file's answer
            cached = None if p in uncached else cache.get(key, current_hash)
            if cached is not None:
                latest[p] = cached
                from_cache.add(p)
                helpers |= cached.helpers
                done += 1
            elif new_words and p in latest and _analysed_already(latest[p], views[p], new_words, project_names):
                # a second run would repeat the first: its answer stands, for these words too
                if p not in uncached:
                    cache.put(key, latest[p])
                done += 1
            else:
                fresh.append((p, words, key))

        def on_done(r: UnitResult) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total)  # noqa: B023 - called only during this round

        keys = {p: key for p, _, key in fresh}
        entry_by_display = {inputs[p][0]: p for p, _, _ in fresh}
        # while a worker waits for the round's last chunks, this process reads every file's
        # names for the next round's helpers
        for r in run_units(ctx, [(p, w) for p, w, _ in fresh], jobs or _default_jobs(), on_done,
                           on_idle=mentions.prepare):
            p = entry_by_display[r.entry]
            latest[p] = r
            from_cache.discard(p)
            helpers |= r.helpers
            if not r.transient and p not in uncached:  # a time limit, crash or internal error is reported again next run
                cache.put(keys[p], r)
    return latest


def _analysed_already(prior: UnitResult, view: bytes, new_words: frozenset[str], project_names: set[str]) -> bool:
    """Whether running a unit again with helper names found since (`new_words`) would only
    repeat `prior`: every mention of one of them (or of a global holding an object of a
    helper class) that can hand the helper data (prefilter.helper_uses) lies in code the
    first run analysed, where the call already resolved to the helper, or is an attribute
    of a library module (`asyncio.run(...)`), not the project's helper. A file that did not
    parse fails the same way again (and a later round's worker may not have paid yet for the
    newer-syntax check: LibCST's import)."""
    if prior.unreadable:
        return True
    if prior.unanalysed is None or prior.transient:
        return False
    names = new_words | {g for g, cls in prior.instances if cls in new_words}
    libraries: frozenset[str] | None = None
    for line, receiver in helper_uses(view, names):
        if not any(start <= line <= end for start, end in prior.unanalysed):
            continue
        if receiver:
            if libraries is None:
                _, bound = imported_names(view, "", False)
                libraries = frozenset(local for local, dotted in bound.items()
                                      if dotted.split(".")[0] not in project_names)
            if receiver in libraries:
                continue
        return False
    return True


def _default_jobs() -> int:
    """GDPR_LINT_JOBS, else the machine's cores (at most 8)."""
    return whole_number("GDPR_LINT_JOBS", max(1, min(os.cpu_count() or 1, 8)), least=1)


def _cache_dir(settings: list[Settings], cwd: Path) -> Path:
    env = os.environ.get("GDPR_LINT_CACHE_DIR")
    if env:
        return Path(env)
    roots = [s.root for s in settings if s.root and s.path is not None]
    return (min(roots, key=lambda r: len(r.parts)) if roots else cwd) / CACHE_DIR_NAME
