"""Module names and files: where a file sits among importable modules, and what a
relative import names. Shared by the analysis (modules.py) and the byte-level steps
before it (reach.py, the engine), which must not load the interpreter to ask.
"""

from __future__ import annotations

from pathlib import Path


# how many folders without __init__.py in a row may lie between a module and the regular
# package holding them (PEP 420 portions: `litellm/types/llms/openai.py` is
# `litellm.types.llms.openai` although neither `types/` nor `llms/` has an __init__.py)
MAX_NAMESPACE_DEPTH = 4


def module_path(path: Path) -> tuple[list[str], Path]:
    """(the dotted parts of the module a resolved file is, the folder its package chain starts
    in: the import root that finds it). `app/crm/mail.py` inside packages `app` and `app.crm`
    is (["app", "crm", "mail"], the folder holding app/); a package is named by its folder.
    Folders without an __init__.py inside a regular package belong to it (namespace
    portions), so a file has one name whether it is an entry or imported.
    A notebook is no importable module: `import churn` must not find churn.ipynb."""
    package = path.name == "__init__.py"
    parts = [] if package else [path.stem + ("@ipynb" if path.suffix.lower() == ".ipynb" else "")]
    d = path.parent
    while d.parent != d:
        if (d / "__init__.py").exists():
            parts.insert(0, d.name)
            d = d.parent
            continue
        gap = _namespace_portions(d)
        if not gap:
            break
        parts[:0] = [g.name for g in reversed(gap)]
        d = gap[-1].parent
    return parts, d


def _namespace_portions(d: Path) -> list[Path]:
    """The folders from `d` up that have no __init__.py, when a regular package holds them
    (within MAX_NAMESPACE_DEPTH); [] when none does (`d` is an import root)."""
    gap: list[Path] = []
    while d.parent != d and len(gap) < MAX_NAMESPACE_DEPTH:
        gap.append(d)
        d = d.parent
        if (d / "__init__.py").exists():
            return gap
    return []


def resolve_relative(modname: str, package: bool, name: str | None, level: int) -> str:
    """The absolute name of `from <level dots><name> import ...` in module `modname`."""
    if level == 0:
        return name or ""
    parts = modname.split("@")[0].split(".")
    base = parts if package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))
