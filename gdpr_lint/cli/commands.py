"""Command line, in Ruff's shape: `gdpr-lint check [PATHS]`, `gdpr-lint calls`,
`gdpr-lint map`, `gdpr-lint rule CODE`.

Exit codes: 0 nothing to report; 1 findings remain; 2 usage or configuration
error, internal error, or a file that could not be analysed (fail closed); 141 the
output's reader closed the pipe early (`| head`), as for a writer ended by SIGPIPE.
Heavy modules are imported inside the commands so `--version` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from gdpr_lint import __version__
from gdpr_lint.fix.instruction import fix_instruction
from gdpr_lint.report import formats, render

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _fail(message: str) -> NoReturn:
    click.echo(f"gdpr-lint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _split_codes(values: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(c.strip() for c in v.split(",") if c.strip())
    return out


def _resolver(config: str | None, isolated: bool, select, ignore, extend_select):
    from gdpr_lint.config.settings import ConfigError, ConfigResolver

    overrides: dict[str, Any] = {}
    if select:
        overrides["select"] = _split_codes(select)
    if ignore:
        overrides["ignore"] = _split_codes(ignore)
    if extend_select:
        overrides["extend-select"] = _split_codes(extend_select)
    if _SYNTAX_CHECK:
        overrides["syntax-check"] = _SYNTAX_CHECK[-1]
    meta = click.get_current_context().meta
    for key in ("exclude", "extend-exclude"):  # --exclude / --extend-exclude (patterns, comma-separated)
        if meta.get(f"gdpr_lint.{key}"):
            overrides[key] = meta[f"gdpr_lint.{key}"]
    try:
        return ConfigResolver(config_file=Path(config) if config else None, isolated=isolated, overrides=overrides)
    except ConfigError as exc:
        _fail(str(exc))


def _write(text: str, output_file: str | None, color: bool = False) -> None:
    if output_file:
        try:
            Path(output_file).write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output_file}: cannot write output: {exc.strerror}")
    else:
        click.echo(text, nl=False, color=True if color else None)


def _report_errors(errors) -> None:
    for e in errors:
        click.echo(f"gdpr-lint: error: {e.path}: {e.message}", err=True)


def _on_sigterm(main_pid: int):
    """SIGTERM stops the run like Ctrl-C, so cleanup runs (--fix removes its temporary
    file; a file being written stays old or new). Forked workers keep the default."""
    import signal

    def handler(signum, frame):
        if os.getpid() != main_pid:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
            return
        raise KeyboardInterrupt

    return handler


class _Command(click.Command):
    """A command whose "Did you mean" never suggests a hidden option (`--no-prefilter`)."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            from difflib import get_close_matches

            visible = [name for p in self.get_params(ctx) if isinstance(p, click.Option) and not p.hidden
                       for name in (*p.opts, *p.secondary_opts) if name.startswith("--")]
            exc.possibilities = get_close_matches(exc.option_name, visible) or None
            raise


class _Group(click.Group):
    command_class = _Command

    def invoke(self, ctx):
        import signal

        if hasattr(signal, "SIGTERM") and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm(os.getpid()))
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("gdpr-lint: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # the reader went away (`gdpr-lint check . | head`): stop quietly, with the status of
            # a writer ended by SIGPIPE; the closed pipe must not be flushed again at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except Exception as exc:  # noqa: BLE001 - fail closed with one line, never a traceback
            if os.environ.get("GDPR_LINT_DEBUG"):
                raise
            from gdpr_lint.config.environment import EnvironmentSettingError
            from gdpr_lint.config.ruledata import RuleDataError

            if isinstance(exc, (RuleDataError, EnvironmentSettingError)):  # before importing settings, which loads rules/checks.toml
                _fail(str(exc))
            from gdpr_lint.config.settings import ConfigError

            if isinstance(exc, ConfigError):
                _fail(str(exc))
            _fail(f"internal error: {type(exc).__name__}: {exc} (please report this)")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="gdpr-lint", message="%(prog)s %(version)s")
def main() -> None:
    """Find personal data that reaches OpenAI requests, and fix it."""


def _no_cache(ctx, param, value):
    if value:
        from gdpr_lint.pipeline import engine

        engine.RUN_DEFAULTS["use_cache"] = False
    return value


_SYNTAX_CHECK: list[str] = []  # --syntax-check, applied to the settings of every file


def _syntax_check(ctx, param, value):
    if value:
        _SYNTAX_CHECK.append(value)
    return value


def _no_prefilter(ctx, param, value):
    if value:
        from gdpr_lint.pipeline import engine

        engine.RUN_DEFAULTS["exhaustive"] = True
    return value


def _jobs(ctx, param, value):
    if value is not None:
        from gdpr_lint.pipeline import engine

        engine.RUN_DEFAULTS["jobs"] = value
    return value


def _quiet(ctx, param, value):
    from gdpr_lint.pipeline import engine

    if value or not sys.stderr.isatty():
        engine.RUN_DEFAULTS["progress"] = None
    else:
        from gdpr_lint.pipeline.progress import ProgressLine, progress_after

        engine.RUN_DEFAULTS["progress"] = ProgressLine(lambda text: click.echo(text, err=True, nl=False),
                                                       after=progress_after())
    return value


def _patterns(ctx, param, value):
    if value:
        key = "exclude" if param.name == "exclude" else "extend-exclude"
        ctx.meta[f"gdpr_lint.{key}"] = [p.strip() for v in value for p in v.split(",") if p.strip()]
    return value


def _verbose(ctx, param, value):
    if value:
        import time

        ctx.meta["gdpr_lint.verbose_since"] = time.monotonic()
    return value


def common_options(f):
    for opt in reversed([
        click.option("--no-cache", is_flag=True, expose_value=False, callback=_no_cache,
                     help="Do not read or write the result cache (.gdpr_lint_cache/)."),
        click.option("--no-prefilter", is_flag=True, expose_value=False, callback=_no_prefilter, hidden=True,
                     help="Debugging: analyse every file and every function (no prefilter, no cache)."),
        click.option("--syntax-check", type=click.Choice(["needed", "all"]), expose_value=False,
                     callback=_syntax_check,
                     help="Which files must parse: 'needed' (default: those that may hold or feed a request) "
                          "or 'all' (every file; any syntax error fails the run)."),
        click.option("--jobs", "-j", type=click.IntRange(1, 64), expose_value=False, callback=_jobs,
                     help="Worker processes for large runs (default: CPU count)."),
        click.option("--config", type=click.Path(dir_okay=False), help="Use this config file (pyproject.toml or gdpr-lint.toml)."),
        click.option("--isolated", is_flag=True, help="Ignore all configuration files."),
        click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated)."),
        click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable."),
        click.option("--extend-select", multiple=True, help="Rule codes to enable in addition to the configured ones."),
        click.option("--exclude", multiple=True, expose_value=False, callback=_patterns, metavar="PATTERNS",
                     help="Files and folders to skip, replacing the configured `exclude` (comma-separated globs; "
                          "with a '/' relative to the working directory)."),
        click.option("--extend-exclude", multiple=True, expose_value=False, callback=_patterns, metavar="PATTERNS",
                     help="Files and folders to skip in addition to the configured ones."),
        click.option("--force-exclude", is_flag=True, help="Apply exclusions also to paths given explicitly (for pre-commit)."),
        click.option("-q", "--quiet", is_flag=True, callback=_quiet, help="Print only findings and errors."),
        click.option("-v", "--verbose", is_flag=True, callback=_verbose,
                     help="Print the settings used, the files analysed and the time taken (on stderr)."),
    ]):
        f = opt(f)
    return f


LEVELS = ["all", "low", "medium", "high"]  # Bandit's: `all` is the same as `low`


def _level(value: str) -> str:
    return "low" if value == "all" else value


def _use_colour(choice: str, output_file: str | None) -> bool:
    """--color always/never decide; `auto` honours NO_COLOR and FORCE_COLOR (non-empty), else
    colours a terminal only (never a file written with -o)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return output_file is None and sys.stdout.isatty()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _closing_lines(findings, files: int, hidden: int, errors: int, fixing: bool) -> list[str]:
    """`Found 6 findings in 1 file (5 files analysed).` and `6 fixable with ...`."""
    n = len(findings)
    with_findings = len({f.path for f in findings})
    where = f" in {_plural(with_findings, 'file')}" if n else ""
    line = f"Found {_plural(n, 'finding')}{where} ({_plural(files, 'file')} analysed)."
    if hidden:
        line += f" {hidden} known finding{'s' if hidden != 1 else ''} hidden by the baseline."
    if errors:
        line += f" {_plural(errors, 'file')} could not be analysed."
    out = [line]
    fixable = sum(1 for f in findings if f.fixable)
    if fixable and not fixing:
        out.append(f"{fixable} fixable with {fix_instruction()}.")
    return out


def _warn_if_nothing_found(result, paths, quiet: bool) -> None:
    """Ruff's warning: a folder without Python files does not pass silently."""
    if result.files == 0 and not result.errors and not quiet:
        where = ", ".join(paths) if paths else "."
        click.echo(f"gdpr-lint: warning: no Python files found in {where}", err=True)


def _verbose_report(result, resolver) -> None:
    """-v: the settings used, the files analysed (and which came from the cache), the time."""
    ctx = click.get_current_context()
    since = ctx.meta.get("gdpr_lint.verbose_since")
    if since is None:
        return
    import time

    from gdpr_lint.pipeline.discovery import display_path

    configs: dict[str, int] = {}
    for settings in result.settings.values():
        name = display_path(settings.path, resolver.cwd) if settings.path else "defaults (no configuration file)"
        configs[name] = configs.get(name, 0) + 1
    for name, n in configs.items():
        click.echo(f"gdpr-lint: settings from {name} for {_plural(n, 'file')}", err=True)
    click.echo(f"gdpr-lint: {_plural(result.files, 'file')} read, {len(result.unit_files)} analysed as entry "
               f"files ({len(result.cached_units)} from the cache)", err=True)
    cached = set(result.cached_units)
    for name in result.unit_files:
        click.echo(f"gdpr-lint: analysed {name}{' (cached)' if name in cached else ''}", err=True)
    click.echo(f"gdpr-lint: done in {time.monotonic() - since:.2f} s", err=True)


def _show_files(resolver, targets, force_exclude: bool) -> NoReturn:
    from gdpr_lint.pipeline.discovery import Discovery, display_path

    files, errors = Discovery(resolver, force_exclude=force_exclude).files(targets)
    for name in sorted(display_path(f, resolver.cwd) for f in files):
        click.echo(name)
    _report_errors(errors)
    sys.exit(EXIT_ERROR if errors else EXIT_CLEAN)


def _show_settings(resolver, targets, force_exclude: bool) -> NoReturn:
    """The settings each file would be checked with (one block per configuration)."""
    import json

    from gdpr_lint.config.settings import MAP_KEYS
    from gdpr_lint.pipeline.discovery import Discovery, display_path

    files, errors = Discovery(resolver, force_exclude=force_exclude).files(targets)
    groups: dict[int, tuple[Any, list[str]]] = {}
    for f in files or [resolver.cwd / "."]:
        settings = resolver.for_path(f)
        groups.setdefault(id(settings), (settings, []))[1].append(display_path(f, resolver.cwd))
    blocks = []
    for settings, names in groups.values():
        more = f" (and {_plural(len(names) - 1, 'more file')})" if len(names) > 1 else ""
        rows = [f"Resolved settings for: {sorted(names)[0]}{more}",
                f"Settings path: {display_path(settings.path, resolver.cwd) if settings.path else 'none (defaults)'}"]
        values = {
            "select": list(settings.select), "ignore": list(settings.ignore),
            "per-file-ignores": {glob: list(codes) for glob, codes in settings.per_file_ignores},
            "exclude": list(settings.exclude), "extend-exclude": list(settings.extend_exclude),
            "respect-gitignore": settings.respect_gitignore, "syntax-check": settings.syntax_check,
            "sanitizers": list(settings.sanitizers),
            "sinks": [{"function": k.function, "content": list(k.content) or ["*"], "identity": list(k.identity)}
                      for k in settings.sinks],
            "eu-base-urls": list(settings.eu_base_urls), "src": list(settings.src),
            "extend-rules": [display_path(Path(name), resolver.cwd) for name, _ in settings.extend_rules],
            "personal-data": {cat: list(terms) for cat, terms in settings.personal_data},
            "map": {key: getattr(settings.map_info, attr) for key, attr in MAP_KEYS.items()
                    if getattr(settings.map_info, attr) not in (None, False)},
        }
        rows += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
        blocks.append("\n".join(rows))
    click.echo("\n\n".join(blocks))
    _report_errors(errors)
    sys.exit(EXIT_ERROR if errors else EXIT_CLEAN)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@common_options
@click.option("--output-format", type=click.Choice(formats("check")), default=formats("check")[0], show_default=True)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain (errors still exit 2).")
@click.option("--severity-level", type=click.Choice(LEVELS), default="low", show_default=True,
              help="Report only findings of at least this severity (`all` = `low`).")
@click.option("--confidence-level", type=click.Choice(LEVELS), default="low", show_default=True,
              help="Report only findings of at least this confidence (`all` = `low`).")
@click.option("--stdin-filename", help="Read the source from standard input (also the path `-`), reporting it "
                                       "under this name.")
@click.option("--fix", is_flag=True, help="Route leaking calls through gdpr_lint.runtime.protect, then report what is left.")
@click.option("--diff", is_flag=True, help="Print the fixes as unified diffs; write nothing (exit 1 when there is a diff).")
@click.option("--show-fixes", is_flag=True,
              help="Show the rewrite --fix would make under each fixable finding; with --fix, list what was fixed.")
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of the findings (JSON with --output-format json).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Report only findings not recorded in this baseline file (see `gdpr-lint baseline`).")
@click.option("--add-noqa", is_flag=True,
              help="Suppress every current finding with a `# gdpr-lint: ignore[...]` comment above its statement, "
                   "with --noqa-reason (to adopt the gate on an existing code base).")
@click.option("--noqa-reason", default=None, metavar="TEXT",
              help="The reason --add-noqa writes into each comment.")
@click.option("--color", "color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True,
              help="Colour the text output (auto: on a terminal; honours NO_COLOR and FORCE_COLOR).")
@click.option("--show-files", is_flag=True, help="List the files that would be checked, and exit.")
@click.option("--show-settings", is_flag=True, help="Show the settings each file would be checked with, and exit.")
def check(paths, config, isolated, select, ignore, extend_select, force_exclude, quiet, verbose,
          output_format, output_file, exit_zero, severity_level, confidence_level, stdin_filename,
          fix=False, diff=False, show_fixes=False, statistics=False, baseline_file=None, add_noqa=False,
          noqa_reason=None, color="auto", show_files=False, show_settings=False) -> None:
    """Report personal data reaching OpenAI requests in PATHS (default: .; `-` for standard input)."""
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.model import filter_levels
    from gdpr_lint.report.context import Report, ReportContext

    severity_level, confidence_level = _level(severity_level), _level(confidence_level)
    if add_noqa and (fix or diff):
        _fail("--add-noqa cannot be combined with --fix or --diff")
    if noqa_reason is not None and not add_noqa:
        _fail("--noqa-reason needs --add-noqa")
    resolver = _resolver(config, isolated, select, ignore, extend_select)
    use_stdin = stdin_filename is not None or "-" in paths
    given = [p for p in paths if p != "-"]
    targets = [Path(p) for p in given] if use_stdin else [Path(p) for p in (given or (".",))]
    if show_files:
        _show_files(resolver, targets, force_exclude)
    if show_settings:
        _show_settings(resolver, targets, force_exclude)
    if add_noqa and use_stdin:
        _fail("--add-noqa cannot rewrite standard input")
    reason = None
    if add_noqa:
        from gdpr_lint.fix.noqa import DEFAULT_REASON, check_reason

        reason = (noqa_reason if noqa_reason is not None else DEFAULT_REASON).strip()
        problem = check_reason(reason)
        if problem:
            _fail(f"--noqa-reason: {problem}")
    baseline_counts = _load_baseline(baseline_file)
    stdin = (stdin_filename or "-", sys.stdin.buffer.read()) if use_stdin else None
    result = analyse_paths(targets, resolver, force_exclude=force_exclude, stdin=stdin)
    _verbose_report(result, resolver)
    _warn_if_nothing_found(result, given, quiet)
    findings = filter_levels(result.findings, severity_level, confidence_level)
    # --fix / --diff (gdpr_lint/fix.py): rewrite, then report what is left.
    fixing = None
    if fix or diff:
        from gdpr_lint.pipeline.discovery import display_path
        from gdpr_lint.fix.runner import check_fix

        done = check_fix(
            result, findings, diff=diff, quiet=quiet, echo=click.echo,
            rerun=lambda data: analyse_paths(targets, resolver, force_exclude=force_exclude,
                                             stdin=(stdin[0], data if data is not None else stdin[1]) if stdin else None),
            refilter=lambda fs: filter_levels(fs, severity_level, confidence_level),
            stdin_display=display_path(Path(stdin[0]).absolute(), resolver.cwd) if stdin and fix else None)
        if isinstance(done, int):
            sys.exit(done)
        result, findings, fixing = done
    # end --fix / --diff
    context = ReportContext(cwd=resolver.cwd, sources=result.sources, files=result.files,
                            suppressed=result.suppressed, errors=result.errors, statistics=statistics,
                            color=_use_colour(color, output_file))
    hidden: list = []
    if baseline_counts is not None:
        from gdpr_lint.pipeline.baseline import filter_new

        findings, hidden = filter_new(findings, baseline_counts, context)
    if add_noqa:
        _add_noqa(findings, result, reason or "", quiet)
    if show_fixes and not fixing and output_format == "full" and any(f.fixable for f in findings):
        from gdpr_lint.fix.runner import fix_previews, plan_fixes

        context.show_fixes, context.fixes = True, fix_previews(plan_fixes(result, findings))
    report = Report(context, findings=findings)
    if statistics:
        _write(render("statistics", "json" if output_format == "json" else "text", report), output_file)
    else:
        _write(render("check", output_format, report), output_file, color=context.color)
    _report_errors(result.errors)
    to_stderr = bool(output_file) or output_format not in ("full", "concise")
    if fixing is not None and show_fixes and not quiet:
        _list_fixed(fixing.outcome, to_stderr)
    if not quiet and not statistics and output_format in ("full", "concise"):
        for line in _closing_lines(findings, result.files, len(hidden), len(result.errors), fixing is not None):
            click.echo(line, err=bool(output_file))
    if fixing is not None and not quiet:
        click.echo(fixing.note, err=to_stderr)
    if result.errors or (fixing is not None and fixing.failed):
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)


def _add_noqa(findings, result, reason: str, quiet: bool) -> NoReturn:
    """--add-noqa: write the comments, say how many, exit 0 (2 when a file could not be changed
    or analysed)."""
    from gdpr_lint.fix.noqa import add_noqa

    outcome = add_noqa(findings, result.sources, reason)
    _report_errors(result.errors)
    _report_errors(outcome.errors)
    if not quiet:
        click.echo(f"Added {_plural(outcome.added, 'suppression comment')} for {_plural(outcome.findings, 'finding')} "
                   f"in {_plural(len(outcome.files), 'file')}.", err=True)
    stale = sum(1 for f in findings if f.code == "GDPR100")
    if stale and not quiet:
        click.echo(f"{_plural(stale, 'unused suppression')} left as {'they are' if stale != 1 else 'it is'}: "
                   f"remove {'them' if stale != 1 else 'it'} (GDPR100).", err=True)
    sys.exit(EXIT_ERROR if outcome.errors or result.errors else EXIT_CLEAN)


def _list_fixed(outcome, to_stderr: bool) -> None:
    """--fix --show-fixes: what was fixed, per file and rule (Ruff's enumeration)."""
    from collections import Counter

    from gdpr_lint.checks.rules import RULES_BY_CODE

    written = [ff for ff in outcome.files if ff.display in outcome.written]
    if not written:
        return
    lines = [f"Fixed {_plural(sum(len(ff.fixed) for ff in written), 'finding')}:"]
    for ff in written:
        lines.append(f"- {ff.display}:")
        for code, n in sorted(Counter(f.code for f in ff.fixed).items()):
            rule = RULES_BY_CODE.get(code)
            lines.append(f"    {n} × {code} ({rule.name if rule else code})")
    click.echo("\n".join(lines), err=to_stderr)


def _load_baseline(baseline_file: str | None):
    if not baseline_file:
        return None
    from gdpr_lint.pipeline.baseline import BaselineError, load_baseline

    try:
        return load_baseline(Path(baseline_file))
    except BaselineError as exc:
        _fail(str(exc))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@common_options
@click.option("-o", "--output-file", type=click.Path(dir_okay=False), required=True,
              help="Write the baseline to this file (JSON).")
def baseline(paths, config, isolated, select, ignore, extend_select, force_exclude, quiet, verbose,
             output_file) -> None:
    """Record the current findings in PATHS (default: .) so that `check --baseline` reports only new ones."""
    from gdpr_lint.pipeline.baseline import BaselineError, write_baseline
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.report.context import ReportContext

    resolver = _resolver(config, isolated, select, ignore, extend_select)
    result = analyse_paths([Path(p) for p in (paths or (".",))], resolver, force_exclude=force_exclude)
    _verbose_report(result, resolver)
    _warn_if_nothing_found(result, list(paths), quiet)
    _report_errors(result.errors)
    if result.errors:
        # a file that could not be analysed would be missing from the baseline and
        # its findings would surface later as "new": refuse to write a partial one
        _fail(f"baseline not written to {output_file}: {len(result.errors)} file(s) could not be analysed")
    context = ReportContext(cwd=resolver.cwd, sources=result.sources, files=result.files)
    try:
        write_baseline(Path(output_file), result.findings, context)
    except BaselineError as exc:
        _fail(str(exc))
    if not quiet:
        n = len(result.findings)
        click.echo(f"Wrote {n} finding{'s' if n != 1 else ''} from {result.files} file{'s' if result.files != 1 else ''} "
                   f"to {output_file}.", err=True)
    sys.exit(EXIT_CLEAN)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@common_options
@click.option("--output-format", type=click.Choice(formats("calls")), default=formats("calls")[0], show_default=True)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False))
def calls(paths, config, isolated, select, ignore, extend_select, force_exclude, quiet, verbose,
          output_format, output_file) -> None:
    """List every OpenAI request call site in PATHS (default: .)."""
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.report.context import Report, ReportContext

    resolver = _resolver(config, isolated, select, ignore, extend_select)
    result = analyse_paths([Path(p) for p in (paths or (".",))], resolver, force_exclude=force_exclude)
    _verbose_report(result, resolver)
    _warn_if_nothing_found(result, list(paths), quiet)
    context = ReportContext(cwd=resolver.cwd, sources=result.sources, files=result.files, errors=result.errors)
    _write(render("calls", output_format, Report(context, sites=result.sites, quiet=quiet)), output_file)
    _report_errors(result.errors)
    sys.exit(EXIT_ERROR if result.errors else EXIT_CLEAN)


@main.command(name="map")
@click.argument("paths", nargs=-1, type=click.Path())
@common_options
@click.option("--output-format", type=click.Choice(formats("map")), default=formats("map")[0], show_default=True)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False), help="Write the map to this file.")
def map_command(paths, config, isolated, select, ignore, extend_select, force_exclude, quiet, verbose,
                output_format, output_file) -> None:
    """Map the personal data PATHS (default: .) send to OpenAI: per endpoint and call site,
    protected or not, data residency and storage (for Art. 30 records and DPIAs).
    Exit 0, or 2 when a file could not be analysed: the map is an inventory, not a gate."""
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.report.context import Report, ReportContext
    from gdpr_lint.report.inventory import build_inventory

    resolver = _resolver(config, isolated, select, ignore, extend_select)
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        # a map of nothing would read as "no personal data goes to OpenAI": write none (as baseline)
        for p in missing:
            click.echo(f"gdpr-lint: error: {p}: No such file or directory", err=True)
        _fail(f"map not written{' to ' + output_file if output_file else ''}: "
              f"{_plural(len(missing), 'path')} given {'do' if len(missing) != 1 else 'does'} not exist")
    result = analyse_paths([Path(p) for p in (paths or (".",))], resolver, force_exclude=force_exclude)
    _verbose_report(result, resolver)
    _warn_if_nothing_found(result, list(paths), quiet)
    inventory = build_inventory(result, cwd=resolver.cwd, settings=resolver.for_path(resolver.cwd),
                                paths=list(paths) or ["."])
    context = ReportContext(cwd=resolver.cwd, sources=result.sources, files=result.files, errors=result.errors)
    _write(render("map", output_format, Report(context, inventory=inventory)), output_file)
    _report_errors(result.errors)
    if output_file and not quiet:
        t = inventory["totals"]
        click.echo(f"Wrote the data map of {t['call_sites']} OpenAI call site{'s' if t['call_sites'] != 1 else ''} "
                   f"({t['with_personal_data']} sending personal data) to {output_file}.", err=True)
    sys.exit(EXIT_ERROR if result.errors else EXIT_CLEAN)


@main.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="Explain every rule.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text")
def rule(code, show_all, output_format) -> None:
    """Explain a rule (or list them all)."""
    import json

    from gdpr_lint.checks.rules import ALL_RULES, RULES_BY_CODE

    if code:
        r = RULES_BY_CODE.get(code.upper())
        if r is None:
            _fail(f"unknown rule code {code!r}; known: {', '.join(RULES_BY_CODE)}")
        chosen = [r]
    else:
        chosen = list(ALL_RULES)
    if output_format == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "summary": r.summary, "description": r.description,
                                "severity": r.severity, "fix": r.fix, "default": r.default_enabled} for r in chosen], indent=2))
        return
    if not code and not show_all:
        for r in chosen:
            flag = "" if r.default_enabled or "opt-in" in r.summary else " (opt-in)"
            click.echo(f"{r.code}  {r.name:34} {r.summary}{flag}")
        return
    for r in chosen:
        click.echo(f"# {r.code} ({r.name})\n\n{r.summary}.\n\n{r.description}\n\nSeverity: {r.severity}. Fix: {r.fix}\n")


if __name__ == "__main__":  # pragma: no cover
    main()
