"""Where this copy of gdpr-lint came from, for links to its documentation (SARIF's
informationUri and helpUri).

gdpr-lint is installed from a repository (a VCS URL or a checkout), not from a package
index, so there is no fixed web address to link to. pip records the source of a direct
install (PEP 610, `direct_url.json`): from a VCS URL it names the repository and the
commit, so links lead to the README of exactly that commit. `GDPR_LINT_REPOSITORY_URL`
overrides it (an internal mirror). Otherwise (a local checkout, a wheel file) nothing
is linked rather than a page that may not exist.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlparse

ENV_URL = "GDPR_LINT_REPOSITORY_URL"


@dataclass(frozen=True)
class Source:
    repository: str  # https://host/owner/gdpr-lint
    revision: str  # a commit or a branch / tag name

    def file_url(self, path: str, anchor: str = "") -> str | None:
        """The web page of `path` at this revision (GitHub, GitLab and their like)."""
        host = urlparse(self.repository).hostname or ""
        if "gitlab" in host:
            url = f"{self.repository}/-/blob/{self.revision}/{path}"
        elif "github" in host or "gitea" in host or "codeberg" in host:
            url = f"{self.repository}/blob/{self.revision}/{path}"
        else:
            return None
        return url + (f"#{anchor}" if anchor else "")


def _web_url(url: str) -> str | None:
    """`git+https://host/o/r.git` -> `https://host/o/r`; None for other schemes."""
    url = url.removeprefix("git+")
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        return None
    path = parsed.path.rstrip("/").removesuffix(".git")
    return f"{parsed.scheme}://{parsed.hostname}{path}"


@lru_cache(maxsize=1)
def source() -> Source | None:
    override = os.environ.get(ENV_URL, "").strip()
    if override:
        web = _web_url(override)
        return Source(web, "HEAD") if web else None
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        text = distribution("gdpr-lint").read_text("direct_url.json")
    except (ImportError, PackageNotFoundError, OSError):
        return None
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    vcs = data.get("vcs_info") if isinstance(data, dict) else None
    if not isinstance(vcs, dict) or not isinstance(data.get("url"), str):
        return None  # a local directory or an archive: no web page to point at
    web = _web_url(data["url"])
    if web is None:
        return None
    revision = vcs.get("commit_id") or vcs.get("requested_revision") or "HEAD"
    return Source(web, str(revision))
