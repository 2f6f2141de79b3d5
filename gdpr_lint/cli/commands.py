"""Command line, in Ruff's shape: `gdpr-lint check [PATHS]`, `gdpr-lint calls`,
`gdpr-lint map`, `gdpr-lint rule CODE`.

Exit codes: 0 nothing to report; 1 findings remain; 2 usage or configuration
error, internal error, or a file that could not be analysed (fail closed).
Heavy modules are imported inside the commands so `--version` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from gdpr_lint import __version__
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
    try:
        return ConfigResolver(config_file=Path(config) if config else None, isolated=isolated, overrides=overrides)
    except ConfigError as exc:
        _fail(str(exc))


def _write(text: str, output_file: str | None) -> None:
    if output_file:
        try:
            Path(output_file).write_text(text, encoding="utf-8")
        except OSError as exc:
            _fail(f"{output_file}: cannot write output: {exc.strerror}")
    else:
        click.echo(text, nl=False)


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


class _Group(click.Group):
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
        except Exception as exc:  # noqa: BLE001 - fail closed with one line, never a traceback
            if os.environ.get("GDPR_LINT_DEBUG"):
                raise
            from gdpr_lint.config.ruledata import RuleDataError

            if isinstance(exc, RuleDataError):  # before importing settings, which loads rules/checks.toml
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
        click.option("--force-exclude", is_flag=True, help="Apply exclusions also to paths given explicitly (for pre-commit)."),
        click.option("-q", "--quiet", is_flag=True, callback=_quiet, help="Print only findings and errors."),
        click.option("-v", "--verbose", is_flag=True, help="Print what is being analysed."),
    ]):
        f = opt(f)
    return f


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))
@common_options
@click.option("--output-format", type=click.Choice(formats("check")), default=formats("check")[0], show_default=True)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings remain (errors still exit 2).")
@click.option("--severity-level", type=click.Choice(["low", "medium", "high"]), default="low", show_default=True,
              help="Report only findings of at least this severity.")
@click.option("--confidence-level", type=click.Choice(["low", "medium", "high"]), default="low", show_default=True,
              help="Report only findings of at least this confidence.")
@click.option("--stdin-filename", help="Read the source from standard input, reporting it under this name.")
@click.option("--fix", is_flag=True, help="Route leaking calls through gdpr_lint.runtime.protect, then report what is left.")
@click.option("--diff", is_flag=True, help="Print the fixes as unified diffs; write nothing (exit 1 when there is a diff).")
@click.option("--statistics", is_flag=True, help="Show counts per rule instead of the findings (JSON with --output-format json).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Report only findings not recorded in this baseline file (see `gdpr-lint baseline`).")
def check(paths, config, isolated, select, ignore, extend_select, force_exclude, quiet, verbose,
          output_format, output_file, exit_zero, severity_level, confidence_level, stdin_filename,
          fix=False, diff=False, statistics=False, baseline_file=None) -> None:
    """Report personal data reaching OpenAI requests in PATHS (default: .)."""
    from gdpr_lint.pipeline.engine import analyse_paths
    from gdpr_lint.checks.findings import filter_levels
    from gdpr_lint.report.context import Report, ReportContext

    resolver = _resolver(config, isolated, select, ignore, extend_select)
    baseline_counts = _load_baseline(baseline_file)
    stdin = None
    if stdin_filename:
        stdin = (stdin_filename, sys.stdin.buffer.read())
        targets = [Path(p) for p in paths]
    else:
        targets = [Path(p) for p in (paths or (".",))]
    result = analyse_paths(targets, resolver, force_exclude=force_exclude, stdin=stdin)
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
            stdin_display=display_path(Path(stdin_filename).absolute(), resolver.cwd) if stdin and fix else None)
        if isinstance(done, int):
            sys.exit(done)
        result, findings, fixing = done
    # end --fix / --diff
    context = ReportContext(cwd=resolver.cwd, sources=result.sources, files=result.files,
                            suppressed=result.suppressed, errors=result.errors, statistics=statistics)
    hidden: list = []
    if baseline_counts is not None:
        from gdpr_lint.pipeline.baseline import filter_new

        findings, hidden = filter_new(findings, baseline_counts, context)
    report = Report(context, findings=findings)
    if statistics:
        _write(render("statistics", "json" if output_format == "json" else "text", report), output_file)
    else:
        _write(render("check", output_format, report), output_file)
    _report_errors(result.errors)
    if not quiet and not statistics and output_format in ("full", "concise"):
        n = len(findings)
        summary = f"Found {n} finding{'s' if n != 1 else ''} in {result.files} file{'s' if result.files != 1 else ''}."
        if hidden:
            summary += f" {len(hidden)} known finding{'s' if len(hidden) != 1 else ''} hidden by the baseline."
        if result.errors:
            summary += f" {len(result.errors)} file{'s' if len(result.errors) != 1 else ''} could not be analysed."
        click.echo(summary, err=bool(output_file))
    if fixing is not None and not quiet:
        click.echo(fixing.note, err=bool(output_file) or output_format not in ("full", "concise"))
    if result.errors or (fixing is not None and fixing.failed):
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if findings and not exit_zero else EXIT_CLEAN)


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
    result = analyse_paths([Path(p) for p in (paths or (".",))], resolver, force_exclude=force_exclude)
    inventory = build_inventory(result)
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
            flag = "" if r.default_enabled else " (opt-in)"
            click.echo(f"{r.code}  {r.name:34} {r.summary}{flag}")
        return
    for r in chosen:
        click.echo(f"# {r.code} ({r.name})\n\n{r.summary}.\n\n{r.description}\n\nSeverity: {r.severity}. Fix: {r.fix}\n")


if __name__ == "__main__":  # pragma: no cover
    main()
