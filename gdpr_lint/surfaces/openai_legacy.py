"""The `openai` SDK's 0.x module API: `openai.ChatCompletion.create`,
`openai.Completion.acreate`, ... (rules/legacy.toml). The runtime cannot wrap these
calls: `--fix` leaves them with a hint to migrate to the v1 client."""

from __future__ import annotations

from gdpr_lint.analysis.values import Ext
from gdpr_lint.surfaces.base import Request, Surface
from gdpr_lint.surfaces.catalogue import catalogue


class OpenAILegacy(Surface):
    name = "openai_legacy"
    flavours = ("openai-legacy",)
    package_words = ("openai",)
    package_roots = ("openai",)
    fix_hint = ("Legacy openai<1.0 call: migrate to the v1 client, then run --fix (or wrap the text with "
                "gdpr_lint.runtime.pseudonymise(...) and reidentify(...) the reply).")

    def request(self, ctx, tag, node, args, kwargs):
        if not (isinstance(tag, Ext) and tag.qualname.startswith("openai.")):
            return None
        leg = catalogue().legacy.get(tag.qualname[len("openai."):])
        return Request("legacy:" + leg.path, "openai-legacy", leg, False, "high") if leg else None

    def fixable(self, endpoint, code):
        return code == "GDPR003"  # a keyed id for user= needs no runtime wrapper


SURFACE = OpenAILegacy()
