"""Endpoint catalogue: regenerate ``rules/endpoints.toml`` from the installed ``openai`` SDK.

Usage::

    python -m gdpr_lint.surfaces.generate [--output rules/endpoints.toml] [--check]

The command walks the resource tree of ``openai.OpenAI`` (``chat.completions``,
``beta.threads.runs``, ``vector_stores.files`` ...), keeps every public method
that sends a request, and writes one ``[[endpoint]]`` table per method. Which
parameters carry personal data is *not* discovered: it is decided by the fixed
name lists below (``CONTENT_PARAMS``, ``IDENTITY_PARAMS``, ``METADATA_PARAMS``).
To change the classification, edit those lists and regenerate.

``--check`` regenerates in memory and compares with the committed file; it exits
1 and names the first difference when they disagree.

The linter itself never imports ``openai``: this module imports it only inside
:func:`main` (via :func:`build_catalogue`), and the rest of the package only
reads the generated TOML.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterable, Sequence

# ---------------------------------------------------------------------------
# Classification lists (the documented, hand-maintained part)
# ---------------------------------------------------------------------------

#: Parameters whose value is (or contains) content sent to the model or stored
#: by OpenAI, and can therefore hold personal data. Matched by parameter name,
#: in this order.
CONTENT_PARAMS: tuple[str, ...] = (
    "messages",  # chat.completions.*, beta.threads.create
    "input",  # responses.*, embeddings, moderations, audio.speech (the text to speak)
    "prompt",  # completions, images, audio transcription hints, videos; responses prompt variables
    "instructions",  # responses, assistants, realtime sessions, audio.speech
    "content",  # beta.threads.messages.create
    "additional_instructions",  # beta.threads.runs.create*
    "additional_messages",  # beta.threads.runs.create*
    "thread",  # beta.threads.create_and_run* (initial messages)
    "tool_outputs",  # beta.threads.runs.submit_tool_outputs*
    "items",  # conversations.create, conversations.items.create
    "events",  # agent session events (user turns)
    "file",  # files, audio transcriptions/translations, containers, vector store uploads
    "files",  # vector_stores.file_batches.upload_and_poll, skills
    "data",  # uploads.parts.create (raw bytes of an uploaded file)
    "text",  # only where it is content (see CONTENT_PARAM_EXCEPTIONS)
    "query",  # vector_stores.search
    "documents",
    "system",
    "image",  # images.edit / create_variation, responses image input
    "mask",  # images.edit
    "input_reference",  # videos.create (reference image)
    "video",  # videos.edit / extend / create_character
    "audio_sample",  # audio.voices.create (a person's voice)
    "recording",  # audio.voice_consents.create (a person's voice)
    "known_speaker_names",  # audio.transcriptions.create (names of people)
    "known_speaker_references",  # audio.transcriptions.create (voice samples)
    "prediction",  # chat.completions predicted output (text of the answer)
    "item",  # fine_tuning.alpha.graders.run (graded sample)
    "model_sample",  # fine_tuning.alpha.graders.run
    "data_source",  # evals.runs.create (inline file content / templates)
)

#: A content parameter name that is *not* content under these path prefixes.
#: ``text`` is the output-format configuration in the Responses and Agents APIs.
CONTENT_PARAM_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "text": ("responses.", "beta.responses.", "beta.agents."),
}

#: Parameters that identify the end user on whose behalf the request is made.
IDENTITY_PARAMS: tuple[str, ...] = (
    "user",
    "safety_identifier",
    "prompt_cache_key",  # documented as the replacement of ``user`` for caching; often a user id
    "email",  # admin.organization.invites.create
)

#: Free-form key/value data stored with the object by OpenAI.
METADATA_PARAMS: tuple[str, ...] = (
    "metadata",
    "attributes",  # vector store file attributes
)

#: Path prefix -> kind, most specific first (first match wins).
KIND_PREFIXES: tuple[tuple[str, str], ...] = (
    ("beta.threads.messages.", "messages"),
    ("beta.threads.runs.", "runs"),
    ("beta.threads.", "threads"),
    ("beta.assistants.", "assistants"),
    ("beta.chat.", "chat"),
    ("beta.responses.", "responses"),
    ("beta.realtime.", "realtime"),
    ("chat.", "chat"),
    ("responses.", "responses"),
    ("completions.", "completions"),
    ("embeddings.", "embeddings"),
    ("moderations.", "moderations"),
    ("images.", "images"),
    ("audio.", "audio"),
    ("files.", "files"),
    ("uploads.", "uploads"),
    ("batches.", "batches"),
    ("fine_tuning.", "fine_tuning"),
    ("conversations.", "conversations"),
    ("vector_stores.", "vector_stores"),
    ("realtime.", "realtime"),
)
KINDS: tuple[str, ...] = (
    "chat", "responses", "completions", "embeddings", "moderations", "images", "audio",
    "files", "uploads", "batches", "fine_tuning", "assistants", "threads", "messages",
    "runs", "conversations", "vector_stores", "realtime", "other",
)

#: Public methods that never send a request even though they touch the client
#: (they only verify / parse a webhook payload locally).
NON_REQUEST_METHODS: frozenset[str] = frozenset({"webhooks.unwrap", "webhooks.verify_signature"})

#: Methods of the SDK's base resource / client that perform the HTTP call.
_REQUEST_PRIMITIVES = frozenset(
    {"_post", "_get", "_put", "_patch", "_delete", "_get_api_list", "_request",
     "post", "get", "put", "patch", "delete", "get_api_list", "request"}
)
_SKIPPED_ATTRIBUTES = frozenset({"with_raw_response", "with_streaming_response"})

REQUIRED_KEYS: dict[str, type] = {
    "path": str,
    "kind": str,
    "content": list,
    "identity": list,
    "metadata": list,
    "positional": list,
    "keyword_only": list,
    "streaming": bool,
}

def default_output() -> Path:
    """`endpoints.toml` in the rule data folder: `rules/` of a checkout (or `gdpr_lint/_rules`
    of an installed wheel), where the linter reads it."""
    from gdpr_lint.config.ruledata import rules_dir

    return rules_dir() / "endpoints.toml"


# ---------------------------------------------------------------------------
# Introspection
# ---------------------------------------------------------------------------


def kind_for(path: str) -> str:
    for prefix, kind in KIND_PREFIXES:
        if path.startswith(prefix):
            return kind
    return "other"


def _content_for(path: str, names: Sequence[str]) -> list[str]:
    present = set(names)
    out = []
    for name in CONTENT_PARAMS:
        if name not in present:
            continue
        if any(path.startswith(p) for p in CONTENT_PARAM_EXCEPTIONS.get(name, ())):
            continue
        out.append(name)
    return out


def _public_members(obj: Any) -> list[str]:
    names: set[str] = set()
    for klass in type(obj).__mro__:
        names.update(vars(klass))
    names.update(getattr(obj, "__dict__", {}))
    return sorted(n for n in names if not n.startswith("_") and n not in _SKIPPED_ATTRIBUTES)


def _self_chain(node: ast.AST) -> tuple[str, ...] | None:
    """``self.a.b`` -> ("a", "b"); anything else -> None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name) and node.id == "self" and parts:
        return tuple(reversed(parts))
    return None


class _MethodFacts:
    __slots__ = ("direct", "refs")

    def __init__(self) -> None:
        self.direct = False
        self.refs: set[tuple[str, ...]] = set()


def _analyse_method(func: Any) -> _MethodFacts:
    """What a method's body does with ``self`` (source-level, best effort)."""
    facts = _MethodFacts()
    try:
        source = textwrap.dedent(inspect.getsource(func))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        facts.direct = True  # cannot tell: assume it sends a request
        return facts
    fdef = next(
        (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None
    )
    if fdef is None:
        return facts
    for node in ast.walk(ast.Module(body=fdef.body, type_ignores=[])):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            chain = _self_chain(node)
            if chain and chain[0] in _SKIPPED_ATTRIBUTES:  # self.with_raw_response.retrieve(...)
                chain = chain[1:]
            if not chain:
                continue
            if chain[-1] in _REQUEST_PRIMITIVES and (len(chain) == 1 or chain[0] == "_client"):
                facts.direct = True
            elif not chain[0].startswith("_"):
                facts.refs.add(chain)
        elif isinstance(node, ast.Call):
            # the resource (or its client) handed to a helper / stream manager
            values = list(node.args) + [k.value for k in node.keywords]
            for value in values:
                if isinstance(value, ast.Name) and value.id == "self":
                    facts.direct = True
                elif _self_chain(value) == ("_client",):
                    facts.direct = True
    return facts


def _walk_resources(client: Any, resource_base: type) -> list[tuple[str, Any]]:
    """(dotted prefix, resource instance) for every resource reachable from the client."""
    found: list[tuple[str, Any]] = []
    seen: set[int] = set()

    def visit(obj: Any, prefix: str) -> None:
        for name in _public_members(obj):
            try:
                static = inspect.getattr_static(obj, name)
            except AttributeError:
                continue
            if inspect.isfunction(static) or isinstance(static, (staticmethod, classmethod)):
                continue
            try:
                value = getattr(obj, name)
            except Exception:  # noqa: BLE001 - properties of the client may need config
                continue
            if isinstance(value, resource_base) and id(value) not in seen:
                seen.add(id(value))
                path = f"{prefix}{name}"
                found.append((path, value))
                visit(value, path + ".")

    visit(client, "")
    return found


def _methods_of(resource: Any, resource_base: type) -> dict[str, Any]:
    methods: dict[str, Any] = {}
    for klass in reversed(type(resource).__mro__):
        if klass is object or issubclass(resource_base, klass):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in _SKIPPED_ATTRIBUTES:
                continue
            if inspect.isfunction(value):
                methods[name] = value
            else:
                methods.pop(name, None)
    return methods


def build_catalogue(openai_module: Any) -> tuple[str, list[dict[str, Any]]]:
    """Return (openai version, sorted endpoint records) for an imported ``openai``."""
    resource_base: type
    try:
        from openai._resource import SyncAPIResource as resource_base  # type: ignore
    except ImportError:  # pragma: no cover - very old / restructured SDKs
        resource_base = type(openai_module.OpenAI(api_key="x").chat).__mro__[-2]
    client = openai_module.OpenAI(api_key="x", base_url="http://localhost.invalid/v1")

    resources = _walk_resources(client, resource_base)
    by_path = dict(resources)
    # (path, method name) -> (function, facts)
    table: dict[tuple[str, str], tuple[Any, _MethodFacts]] = {}
    for path, resource in resources:
        for name, func in _methods_of(resource, resource_base).items():
            table[(path, name)] = (func, _analyse_method(func))

    def resolve(path: str, chain: tuple[str, ...]) -> tuple[str, str] | None:
        target = ".".join((path,) + chain[:-1])
        if target in by_path:
            return (target, chain[-1])
        return None

    is_request = {key: facts.direct for key, (_, facts) in table.items()}
    changed = True
    while changed:  # fixpoint: helpers that call request methods are request methods
        changed = False
        for key, (_, facts) in table.items():
            if is_request[key]:
                continue
            for chain in facts.refs:
                target = resolve(key[0], chain)
                if target is not None and is_request.get(target):
                    is_request[key] = True
                    changed = True
                    break

    endpoints: list[dict[str, Any]] = []
    for (path, name), (func, _) in table.items():
        dotted = f"{path}.{name}"
        if not is_request[(path, name)] or dotted in NON_REQUEST_METHODS:
            continue
        try:
            params = list(inspect.signature(func).parameters.values())
        except (TypeError, ValueError):
            continue
        if params and params[0].name == "self":
            params = params[1:]
        positional = [
            p.name
            for p in params
            if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ]
        keyword_only = [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
        names = positional + keyword_only
        endpoints.append(
            {
                "path": dotted,
                "kind": kind_for(dotted),
                "content": _content_for(dotted, names),
                "identity": [n for n in IDENTITY_PARAMS if n in names],
                "metadata": [n for n in METADATA_PARAMS if n in names],
                "positional": positional,
                "keyword_only": keyword_only,
                "streaming": "stream" in names or name == "stream" or name.endswith("_stream"),
            }
        )
    endpoints.sort(key=lambda e: e["path"])
    return str(openai_module.__version__), endpoints


# ---------------------------------------------------------------------------
# TOML rendering (hand-written: no toml-writing dependency)
# ---------------------------------------------------------------------------


def _toml_str(value: str) -> str:
    out = ['"']
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot render {type(value).__name__} as TOML")


def render(version: str, endpoints: Iterable[dict[str, Any]]) -> str:
    lines = [
        f"# Generated by `python -m gdpr_lint.surfaces.generate` from openai {version}. Do not edit by hand:",
        "# change the parameter lists in gdpr_lint/surfaces/generate.py and regenerate.",
        f"openai_version = {_toml_str(version)}",
    ]
    for endpoint in endpoints:
        lines.append("")
        lines.append("[[endpoint]]")
        for key in REQUIRED_KEYS:
            lines.append(f"{key} = {_toml_value(endpoint[key])}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# --check
# ---------------------------------------------------------------------------


def _load_toml(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib.loads(text)


def version_differences(committed: str, generated: str) -> str:
    """What an SDK upgrade changes in the catalogue, in one paragraph: the endpoints added,
    removed and changed (their names, the first few of each)."""
    old = {e.get("path"): e for e in _load_toml(committed).get("endpoint", [])}
    new = {e.get("path"): e for e in _load_toml(generated).get("endpoint", [])}
    added = sorted(set(new) - set(old), key=str)
    removed = sorted(set(old) - set(new), key=str)
    changed = sorted((p for p in set(old) & set(new) if old[p] != new[p]), key=str)

    def some(names: list) -> str:
        shown = ", ".join(str(n) for n in names[:5])
        return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    parts = [f"{len(names)} endpoint{'s' if len(names) != 1 else ''} {what} ({some(names)})"
             for what, names in (("added", added), ("removed", removed), ("changed", changed)) if names]
    return "; ".join(parts) if parts else "no endpoint differs"


def first_difference(committed: str, generated: str) -> str | None:
    """Describe the first difference between two catalogue texts, or None if identical."""
    if committed == generated:
        return None
    try:
        old = _load_toml(committed)
    except Exception as exc:  # noqa: BLE001
        return f"committed file is not valid TOML: {exc}"
    new = _load_toml(generated)
    if old.get("openai_version") != new.get("openai_version"):
        return (
            f"openai_version: committed {old.get('openai_version')!r}, "
            f"installed openai gives {new.get('openai_version')!r}"
        )
    old_eps = {e.get("path"): e for e in old.get("endpoint", [])}
    new_eps = {e.get("path"): e for e in new.get("endpoint", [])}
    for path in sorted(set(old_eps) | set(new_eps), key=str):
        if path not in new_eps:
            return f"endpoint {path!r}: in the committed file but not in the installed openai"
        if path not in old_eps:
            return f"endpoint {path!r}: missing from the committed file"
        a, b = old_eps[path], new_eps[path]
        for key in list(REQUIRED_KEYS) + sorted(set(a) | set(b) - set(REQUIRED_KEYS)):
            if a.get(key) != b.get(key):
                return f"endpoint {path!r}: {key} is {a.get(key)!r} in the committed file, expected {b.get(key)!r}"
    old_paths = [e.get("path") for e in old.get("endpoint", [])]
    if old_paths != sorted(new_eps):
        return "endpoints are not sorted by path"
    old_lines, new_lines = committed.splitlines(), generated.splitlines()
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if a != b:
            return f"line {number}: committed {a!r}, expected {b!r}"
    return f"line {min(len(old_lines), len(new_lines)) + 1}: files differ in length or line endings"


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gdpr_lint.surfaces.generate",
        description="Regenerate the OpenAI endpoint catalogue from the installed openai package.",
    )
    parser.add_argument(
        "--output", "-o", type=Path, default=None,
        help="catalogue file to write or check (default: rules/endpoints.toml)",
    )
    parser.add_argument(
        "--check", action="store_true",
        help="do not write; exit 1 if the file differs from what the installed openai gives",
    )
    args = parser.parse_args(argv)

    try:
        import openai  # only the regenerate command needs the SDK
    except ImportError:
        print("error: the `openai` package is not installed (pip install openai)", file=sys.stderr)
        return 2

    output: Path = args.output if args.output is not None else default_output()
    shown = _display(output)
    if args.check and not output.exists():
        print(f"{shown}: missing; run `python -m gdpr_lint.surfaces.generate`", file=sys.stderr)
        return 1

    version, endpoints = build_catalogue(openai)
    generated = render(version, endpoints)

    if args.check:
        committed = output.read_text(encoding="utf-8")
        diff = first_difference(committed, generated)
        try:
            committed_version = _load_toml(committed).get("openai_version")
        except Exception:  # noqa: BLE001 - first_difference names the problem
            committed_version = None
        if diff is not None and committed_version is not None and committed_version != version:
            # another SDK version: say what it changes, and how to check the file as committed
            print(
                f"{shown} was generated from openai {committed_version}; the installed openai is {version}: "
                f"{version_differences(committed, generated)}.\n"
                f"To check the committed file, install the version it was generated from "
                f"(pip install openai=={committed_version}, as the dev extras pin it); to take the new "
                f"version, run `python -m gdpr_lint.surfaces.generate` and update the pin in pyproject.toml.",
                file=sys.stderr,
            )
            return 1
        if diff is not None:
            print(
                f"{shown} is out of date with openai {version}: {diff}\n"
                "Run `python -m gdpr_lint.surfaces.generate` to regenerate.",
                file=sys.stderr,
            )
            return 1
        print(f"{shown}: up to date ({len(endpoints)} endpoints, openai {version})")
        return 0

    output.parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(generated)
    print(f"wrote {shown}: {len(endpoints)} endpoints from openai {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
