"""Property tests: whatever the bytes or the id, an answer or a clear error, never a crash."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from minidcos.cluster import HOST_NAME_MAX, MASTER_COUNTS, ClusterSpec, validate_cluster_id
from minidcos.errors import ConfigError, UsageError
from minidcos.installer.extra_config import parse_extra_config

YAMLISH = st.text(alphabet=st.sampled_from([*"ab:-[]{}&*!,? \n\t'\"#|>1.", "é", "\0"]))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.binary(max_size=300), YAMLISH.map(str.encode)))
def test_any_bytes_give_a_mapping_or_a_config_error(raw: bytes) -> None:
    try:
        data = parse_extra_config(raw, "extra.yaml")
    except ConfigError as exc:
        assert exc.messages and exc.messages[0].startswith("extra.yaml: ")
        return
    assert isinstance(data, dict) and all(isinstance(k, str) for k in data)


VALUES = st.recursive(
    st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none()),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=10,
)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=20), VALUES, max_size=8))
def test_a_config_written_as_yaml_reads_back_the_same(config: dict[str, Any]) -> None:
    assert parse_extra_config(yaml.safe_dump(config).encode()) == config


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=50))
def test_an_id_is_valid_or_refused_with_a_usage_error(cluster_id: str) -> None:
    try:
        assert validate_cluster_id(cluster_id) == cluster_id
    except UsageError as exc:
        assert "invalid cluster id" in str(exc)
        return
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{0,39}", cluster_id)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(-2, 12),
    st.integers(-2, 300),
    st.integers(-2, 300),
    st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,44}", fullmatch=True),
    st.booleans(),
)
def test_a_spec_that_validates_makes_only_names_linux_accepts(
    masters: int, agents: int, public_agents: int, cluster_id: str, dcos: bool
) -> None:
    spec = ClusterSpec(masters, agents, public_agents, cluster_id)
    try:
        spec.validate(dcos=dcos)
    except UsageError as exc:
        assert str(exc).startswith(("--", "invalid cluster id"))
        return
    assert len(spec.longest_hostname()) <= HOST_NAME_MAX
    assert masters >= 1 and agents >= 0 and public_agents >= 0
    assert masters + agents + public_agents <= 250
    assert not dcos or masters in MASTER_COUNTS
