"""The pipeline: discover -> read -> parse -> analyse -> select/suppress -> (report).

Everything a command needs comes back in one RunResult; the CLI only renders it.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from gdpr_lint.config import ConfigResolver, Settings
from gdpr_lint.discovery import Discovery, display_path
from gdpr_lint.findings import build_findings
from gdpr_lint.model import CallSite, FileError, Finding, Span
from gdpr_lint.project import Project
from gdpr_lint.source import SourceError, SourceFile, read_source
from gdpr_lint.suppression import apply_suppressions
from gdpr_lint.vocabulary import Vocabulary, default_vocabulary


@dataclass
class RunResult:
    findings: list[Finding] = field(default_factory=list)
    sites: list[CallSite] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0
    sources: dict[str, SourceFile] = field(default_factory=dict)  # display path -> source
    settings: dict[str, Settings] = field(default_factory=dict)  # display path -> settings
    suppressed: list[Finding] = field(default_factory=list)


def _vocabulary(settings: list[Settings]) -> Vocabulary:
    extra: dict[str, list[str]] = {}
    for s in settings:
        for cat, terms in s.personal_data:
            extra.setdefault(cat, []).extend(terms)
    if not extra:
        return default_vocabulary()
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


def _code_reported(settings_by_display: dict, sources: dict, path: str, code: str) -> bool:
    """Whether findings of `code` in the file at `path` would be reported (select/ignore/per-file-ignores)."""
    settings = settings_by_display.get(path)
    if settings is None or code not in settings.enabled_codes():
        return False
    probe = Finding(code=code, path=path, span=Span(1, 1, 1, 1), message="", severity="low", confidence="low")
    return not per_file_ignored(probe, settings, sources[path].path)


def analyse_paths(paths: list[Path], resolver: ConfigResolver, *, force_exclude: bool = False,
                  stdin: tuple[str, bytes] | None = None) -> RunResult:
    result = RunResult()
    cwd = resolver.cwd
    discovery = Discovery(resolver, force_exclude=force_exclude)
    files, errors = discovery.files(paths) if paths else ([], [])
    result.errors.extend(errors)
    settings_by_file: dict[Path, Settings] = {}
    sources: list[SourceFile] = []
    inputs: list[tuple[Path, bytes | None]] = [(f, None) for f in files]
    if stdin is not None:
        inputs.append((Path(stdin[0]).absolute(), stdin[1]))
    for path, data in inputs:
        display = display_path(path, cwd)
        settings_by_file[path] = resolver.for_path(path)
        try:
            sources.append(read_source(path, display, data))
        except SourceError as exc:
            result.errors.append(FileError(display, str(exc)))
    result.files = len(inputs)
    all_settings = list({id(s): s for s in settings_by_file.values()}.values())
    vocab = _vocabulary(all_settings)
    roots = sorted({s.root for s in all_settings if s.root} | {cwd})
    for s in all_settings:
        for extra in s.src:
            roots.append(((s.root or cwd) / extra).resolve())
    sanitizers = tuple(x for s in all_settings for x in s.sanitizers)
    sinks = tuple(x for s in all_settings for x in s.sinks)
    project = Project(vocab, roots=list(roots), cwd=cwd, extra_sanitizers=sanitizers, sinks=sinks)
    for src in sources:
        project.add_source(src)
    try:
        project.analyse()
    except RecursionError:
        result.errors.append(FileError(", ".join(s.display for s in sources[:3]) or ".", "analysis exceeded the nesting limit"))
    result.errors.extend(project.errors)
    by_display = {s.display: s for s in sources}
    result.sources = by_display
    result.settings = {s.display: settings_by_file[s.path] for s in sources}
    findings = build_findings(project, vocab)
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
    result.sites = sorted((si.site for si in project.sites.values() if si.module.reported),
                          key=lambda s: (s.path, s.span.line, s.span.column))
    result.errors.sort(key=lambda e: e.path)
    return result
