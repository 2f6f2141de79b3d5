"""Code without OpenAI use has no analysis unit at all: when no file of a repository can make
an OpenAI object (engine._no_openai_here) and the folders walked hold every module an
import can find, the files holding only receiver words (`.files`, `.models`, `.invoke(`)
are not units, and nothing is parsed or walked import by import. Where a module an import
can reach was left out of the walk (an excluded folder some file names, a root outside the
folders checked), the answer falls back to reach.py's import walk, which reads those
modules: nothing is lost.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from helpers import SHOP_WITHOUT_OPENAI, write_files
from gdpr_lint.config.settings import ConfigResolver
from gdpr_lint.pipeline.discovery import Discovery
from gdpr_lint.pipeline.engine import analyse_paths

# A Django shop, a Tk dialog and a cache of HTTP responses: receiver words and guessable
# roots everywhere, and no OpenAI anywhere.
NO_OPENAI = {
    **SHOP_WITHOUT_OPENAI,
    "http_cache.py": '''
        class Cache:
            def __init__(self):
                self.responses = {}

            def remember(self, code, body):
                self.responses[code] = body
        ''',
}

# The model a view sends a customer's e-mail to, and the view (only `.invoke(`).
LLM_SETUP = "from langchain_openai import ChatOpenAI\n\nllm = ChatOpenAI(model='gpt-4o-mini')\n"
VIEW = '''
    from {module} import llm


    def draft_reply(ticket):
        return llm.invoke(f"Write to {{ticket.customer.email}} about {{ticket.number}}.").content
    '''


def _run(paths: list[Path], cwd: Path, **overrides):
    result = analyse_paths(paths, ConfigResolver(cwd=cwd, overrides=overrides or None), use_cache=False, jobs=1)
    return result, {(f.path, f.span.line) for f in result.findings}


def _exhaustive(paths: list[Path], cwd: Path) -> set:
    result = analyse_paths(paths, ConfigResolver(cwd=cwd), use_cache=False, jobs=1, exhaustive=True)
    return {(f.path, f.span.line) for f in result.findings}


def test_a_repository_without_openai_has_no_unit(tmp_path: Path) -> None:
    root = write_files(tmp_path, NO_OPENAI)
    result, found = _run([root], root)
    assert (result.units, found, result.errors, result.files) == (0, set(), [], 6)
    assert _exhaustive([root], root) == set()


def test_one_module_making_a_model_means_the_import_walk(tmp_path: Path) -> None:
    # the same shop with an assistant: its view only says `.invoke(`; the model is made elsewhere
    root = write_files(tmp_path, {**NO_OPENAI, "assistant/__init__.py": "", "assistant/llm.py": LLM_SETUP,
                                  "assistant/views.py": VIEW.format(module="assistant.llm")})
    result, found = _run([root], root)
    assert found == _exhaustive([root], root) == {("assistant/views.py", 5)}
    assert result.unit_files == ["assistant/llm.py", "assistant/views.py", "dialogs.py", "shop/views.py"]


def test_an_excluded_folder_that_a_file_imports_means_the_import_walk(tmp_path: Path) -> None:
    # `vendor_llm/` is excluded from the check, but the view imports the model from it:
    # only the import walk reads it
    root = write_files(tmp_path, {**NO_OPENAI, "vendor_llm/__init__.py": "", "vendor_llm/setup.py": LLM_SETUP,
                                  "support/__init__.py": "", "support/views.py": VIEW.format(module="vendor_llm.setup"),
                                  "pyproject.toml": '[tool.gdpr-lint]\nextend-exclude = ["vendor_llm"]\n'})
    result, found = _run([root], root)
    assert found == {("support/views.py", 5)}
    assert "support/views.py" in result.unit_files


def test_an_excluded_folder_no_file_names_does_not_count(tmp_path: Path) -> None:
    # a build output with OpenAI code in it that nothing imports (`build/` is excluded by
    # default): the repository's own files still cannot reach an OpenAI object. An import
    # spells the folder's name as a word: `rebuild()` does not, a comment saying `build` may
    root = write_files(tmp_path, {**NO_OPENAI, "build/lib/assistant/llm.py": LLM_SETUP,
                                  "venv/bin/activate_this.py": "import openai\n",
                                  "tasks.py": "def rebuild(builder):\n    builder.files.rebuild_index()\n"})
    result, found = _run([root], root)
    assert (result.units, found, result.errors) == (0, set(), [])
    write_files(tmp_path, {"tasks.py": "# the wheel comes from build/\ndef rebuild(builder):\n    builder.files.x()\n"})
    result, found = _run([root], root)
    assert found == set() and result.units > 0  # the import walk decides: nothing reaches the model


def test_a_root_outside_the_checked_folder_means_the_import_walk(tmp_path: Path) -> None:
    # `gdpr-lint check support` run from the repository: the model module is not checked,
    # but the view imports it from the working folder (an import root)
    root = write_files(tmp_path, {"llm_setup.py": LLM_SETUP, "support/__init__.py": "",
                                  "support/views.py": VIEW.format(module="llm_setup")})
    result, found = _run([root / "support"], root)
    assert found == {("support/views.py", 5)} and result.units == 1


def test_a_package_checked_by_itself_means_the_import_walk(tmp_path: Path) -> None:
    # the package's import root is the folder above it, which was not walked
    root = write_files(tmp_path, {"llm_setup.py": LLM_SETUP, "app/__init__.py": "",
                                  "app/views.py": VIEW.format(module="llm_setup")})
    _, found = _run([root / "app"], root / "app")
    assert found == {("views.py", 5)}


def test_a_skipped_file_still_fails_a_strict_syntax_check(tmp_path: Path) -> None:
    root = write_files(tmp_path, {**NO_OPENAI, "dialogs.py": "def press(button):\n    button.invoke(\n"})
    result, _ = _run([root], root)
    assert (result.units, result.errors) == (0, [])
    strict, _ = _run([root], root, **{"syntax-check": "all"})
    assert [(e.path, e.message.split(":")[0]) for e in strict.errors] == [("dialogs.py", "syntax error at line 2, column 18")]


def test_unwalked_module_names(tmp_path: Path) -> None:
    root = write_files(tmp_path, {
        "app/__init__.py": "", "app/main.py": "",
        "build/lib/app/main.py": "", "venv/bin/activate_this.py": "", ".venv/lib/site.py": "",
        "node_modules/left-pad/index.py": "", "docs/conf.py": "", "app/generated_pb2.py": "",
        "dist/app-1.0-py3-none-any.whl": "", "app/__pycache__/main.cpython-311.pyc": "",
        "pyproject.toml": textwrap.dedent('''
            [tool.gdpr-lint]
            extend-exclude = ["docs", "app/generated_pb2.py", "site-packages"]
            '''),
    })
    resolver = ConfigResolver(cwd=root)
    discovery = Discovery(resolver)
    discovery.files([root])
    # `.venv` cannot be imported, nor can anything `dist/`, `node_modules/` (`left-pad`) and
    # `__pycache__/` hold; the others can, each by its own name
    assert discovery.unwalked_module_names([root.resolve()]) == {"build", "venv", "docs", "generated_pb2"}
    assert discovery.unwalked_module_names([(root / "app").resolve()]) == {"generated_pb2"}
    assert discovery.unwalked_module_names([root.parent.resolve()]) is None  # not walked
    assert discovery.unwalked_module_names([(root / "build/lib").resolve()]) is None  # inside an excluded folder
    only_app = Discovery(resolver)
    only_app.files([root / "app"])
    assert only_app.unwalked_module_names([(root / "app").resolve()]) == {"generated_pb2"}
    assert only_app.unwalked_module_names([root.resolve()]) is None


def test_a_run_without_units_does_not_load_the_interpreter(tmp_path: Path) -> None:
    # the abstract interpreter is most of the start-up time of a run that needs none of it
    root = write_files(tmp_path / "shop", NO_OPENAI)
    script = textwrap.dedent('''
        import sys
        from pathlib import Path
        from gdpr_lint.config.settings import ConfigResolver
        from gdpr_lint.pipeline.engine import analyse_paths

        root = Path(sys.argv[1])
        result = analyse_paths([root], ConfigResolver(cwd=root), use_cache=False, jobs=1)
        loaded = sorted(m for m in sys.modules if m.startswith(("gdpr_lint.analysis.program.project",
                                                                "gdpr_lint.analysis.frame", "gdpr_lint.checks.findings")))
        print(result.units, len(result.findings), loaded)
        ''')
    out = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "0", "[]"]
    write_files(tmp_path / "shop", {"assistant.py": LLM_SETUP + "\nllm.invoke('hello')\n"})
    out = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == "3" and "gdpr_lint.analysis.frame" in out  # assistant.py and the two it may reach
