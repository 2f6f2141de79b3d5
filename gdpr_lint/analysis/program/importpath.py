"""Module names and files: where a file sits among importable modules, and what a
relative import names. Shared by the analysis (modules.py) and the byte-level steps
before it (reach.py, the engine), which must not load the interpreter to ask.
"""

from __future__ import annotations

from pathlib import Path


def module_path(path: Path) -> tuple[list[str], Path]:
    """(the dotted parts of the module a resolved file is, the folder its package chain starts
    in: the import root that finds it). `app/crm/mail.py` inside packages `app` and `app.crm`
    is (["app", "crm", "mail"], the folder holding app/); a package is named by its folder.
    A notebook is no importable module: `import churn` must not find churn.ipynb."""
    package = path.name == "__init__.py"
    parts = [] if package else [path.stem + ("@ipynb" if path.suffix.lower() == ".ipynb" else "")]
    d = path.parent
    while (d / "__init__.py").exists() and d.parent != d:
        parts.insert(0, d.name)
        d = d.parent
    return parts, d


def resolve_relative(modname: str, package: bool, name: str | None, level: int) -> str:
    """The absolute name of `from <level dots><name> import ...` in module `modname`."""
    if level == 0:
        return name or ""
    parts = modname.split("@")[0].split(".")
    base = parts if package else parts[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))
