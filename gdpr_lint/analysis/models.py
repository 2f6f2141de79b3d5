"""The library propagation models (rules/library_models.toml): how outside calls and
methods carry personal data from their inputs to their result."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from gdpr_lint.config.ruledata import RuleDataError, load_rule_file

MODELS_FILE = "library_models.toml"


@dataclass(frozen=True)
class LibraryModels:
    scalar_calls: frozenset[str]
    serialiser_calls: frozenset[str]
    container_calls: frozenset[str]
    environment_calls: frozenset[str]
    module_imports: frozenset[str]
    package_imports: frozenset[str]
    state_updates: frozenset[str]
    state_sends: frozenset[str]
    state_graphs: frozenset[str]
    graph_runs: frozenset[str]
    graph_batches: frozenset[str]
    graph_clients: frozenset[str]
    graph_client_runs: frozenset[str]
    remote_graphs: frozenset[str]
    graph_entrypoints: frozenset[str]
    file_readers: frozenset[str]
    foreign_roots: frozenset[str]
    serialiser_methods: frozenset[str]
    mutator_methods: frozenset[str]
    renderer_methods: frozenset[str]
    row_methods: frozenset[str]
    query_calls: frozenset[str]
    query_runs: frozenset[str]
    record_attributes: frozenset[str]
    projection_methods: frozenset[str]
    column_drop_methods: frozenset[str]
    template_texts: frozenset[str]
    template_files: frozenset[str]
    keep_mark_methods: frozenset[str]
    upload_attributes: frozenset[str]
    upload_calls: frozenset[str]
    upload_members: frozenset[str]
    input_widgets: frozenset[str]
    person_bases: frozenset[str]
    stored_record_packages: frozenset[str]
    message_calls: dict[str, str]  # qualified name -> what it returns ("an e-mail message")
    message_chains: dict[str, str]  # method chain ("users().messages().get") -> what it returns
    callable_runners: dict[str, int]  # name -> position of the callable it runs
    callable_mappers: frozenset[str]
    state_objects: frozenset[str]


def _described(data: dict, key: str) -> dict[str, str]:
    value = data.get("sources", {}).get("messages", {}).get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise RuleDataError(f"{MODELS_FILE}: [sources.messages.{key}]: expected names = descriptions")
    return dict(value)


def _names(data: dict, table: str, key: str) -> frozenset[str]:
    value = data.get(table, {}).get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleDataError(f"{MODELS_FILE}: [{table}] {key}: expected a list of names")
    return frozenset(value)


@lru_cache(maxsize=None)
def library_models() -> LibraryModels:
    data = load_rule_file(MODELS_FILE)
    return LibraryModels(
        scalar_calls=_names(data, "calls", "scalar"),
        serialiser_calls=_names(data, "calls", "serialisers"),
        container_calls=_names(data, "calls", "containers"),
        environment_calls=_names(data, "calls", "environment"),
        module_imports=_names(data, "calls", "module_imports"),
        package_imports=_names(data, "calls", "package_imports"),
        state_updates=_names(data, "calls", "state_updates"),
        state_sends=_names(data, "calls", "state_sends"),
        state_graphs=_names(data, "calls", "state_graphs"),
        graph_runs=_names(data, "methods", "graph_runs"),
        graph_batches=_names(data, "methods", "graph_batches"),
        graph_clients=_names(data, "calls", "graph_clients"),
        graph_client_runs=_names(data, "methods", "graph_client_runs"),
        remote_graphs=_names(data, "calls", "remote_graphs"),
        graph_entrypoints=_names(data, "calls", "graph_entrypoints"),
        file_readers=_names(data, "calls", "file_readers"),
        foreign_roots=_names(data, "calls", "foreign_roots"),
        serialiser_methods=_names(data, "methods", "serialisers"),
        mutator_methods=_names(data, "methods", "mutators"),
        renderer_methods=_names(data, "methods", "renderers"),
        row_methods=_names(data, "methods", "rows"),
        query_calls=_names(data, "methods", "queries"),
        query_runs=_names(data, "methods", "query_runs"),
        record_attributes=_names(data, "methods", "record_attributes"),
        projection_methods=_names(data, "methods", "projections"),
        column_drop_methods=_names(data, "methods", "column_drops"),
        template_texts=_names(data, "templates", "texts"),
        template_files=_names(data, "templates", "files"),
        keep_mark_methods=_names(data, "methods", "keep_marks"),
        upload_attributes=_names(data, "sources", "upload_attributes"),
        upload_calls=_names(data, "sources", "upload_calls"),
        upload_members=_names(data, "sources", "upload_members"),
        input_widgets=_names(data, "sources", "input_widgets"),
        person_bases=_names(data, "sources", "person_bases"),
        stored_record_packages=_names(data, "sources", "stored_record_packages"),
        message_calls=_described(data, "calls"),
        message_chains=_described(data, "chains"),
        callable_runners={n.partition("@")[0]: int(n.partition("@")[2] or 0)
                          for n in _names(data, "calls", "callable_runners")},
        callable_mappers=_names(data, "calls", "callable_mappers"),
        state_objects=_names(data, "sources", "state_objects"),
    )
