"""How :func:`gdpr_lint.runtime.protect` hooks into a client library.

* :mod:`.openai_sdk` -- OpenAI SDK clients and request methods, through a
  pseudonymising HTTP transport;
* :mod:`.litellm_sdk` -- LiteLLM functions, on their arguments and results;
* :mod:`.common` -- what both share: bindings, call contexts, the request walker.

Nothing is imported here: an adapter is loaded when a target of its library is
first protected (see :mod:`gdpr_lint.runtime.dispatch`).
"""
