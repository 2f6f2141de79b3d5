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

    def hint(self, endpoint):
        path = endpoint.removeprefix("legacy:")
        v1 = catalogue().legacy_v1.get(path)
        if v1 is None:
            return self.fix_hint
        method = path.rsplit(".", 1)[-1]
        is_async = method.startswith("a")  # acreate, atranscribe, acreate_edit, ...: the asyncio versions
        client = "AsyncOpenAI" if is_async else "OpenAI"
        call = f"await client.{v1}(...)" if is_async else f"client.{v1}(...)"
        return (f"Legacy openai<1.0 call openai.{path}: migrate to the v1 client (`client = {client}()`, "
                f"`{call}`), then run --fix (or wrap the text with gdpr_lint.runtime.pseudonymise(...) and "
                "reidentify(...) the reply).")


SURFACE = OpenAILegacy()
