"""A user's config file (--extra-config), read with bounds, before anything is made.

Whatever the file holds, the answer is a mapping of text keys or a
ConfigError that names the file and the problem: never a traceback, never
an unbounded read. A file over MAX_BYTES is refused with its size; YAML
aliases that would expand past MAX_NODES values (an "alias bomb") are
refused from the parsed node graph, before any value is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from minidcos.errors import ConfigError

MAX_BYTES = 1024 * 1024
MAX_NODES = 10_000


def load_extra_config(path: Path) -> dict[str, Any]:
    """The mapping in the YAML file at `path`; ConfigError (naming `path`) otherwise."""
    source = str(path)

    def refuse(problem: str) -> ConfigError:
        return ConfigError([f"{path}: {problem}"], source=source)

    try:
        if not path.is_file():
            raise refuse("is not a file" if path.exists() else "does not exist")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise refuse(f"is {size} bytes; a config file may be at most {MAX_BYTES} (1 MiB)")
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise refuse(f"cannot be read: {exc.strerror or exc}") from exc
    if len(raw) > MAX_BYTES:  # grew while we looked
        raise refuse(f"is over {MAX_BYTES} bytes (1 MiB), the most a config file may be")
    return parse_extra_config(raw, source)


def parse_extra_config(raw: bytes, source: str = "extra config") -> dict[str, Any]:
    def refuse(problem: str) -> ConfigError:
        return ConfigError([f"{source}: {problem}"], source=source)

    if b"\0" in raw:
        raise refuse("is binary data, not a YAML text file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(
            f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from exc
    try:
        data = _bounded_load(text)
    except yaml.YAMLError as exc:
        raise refuse(f"is not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise refuse("nests too deeply to be a config file") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise refuse(
            f"must be a YAML mapping of config keys to values, not a {type(data).__name__}"
        )
    not_text = [repr(key) for key in data if not isinstance(key, str)]
    if not_text:
        raise refuse(f"config keys must be text; found {', '.join(not_text[:5])}")
    return data


class _TooBig(yaml.YAMLError):
    pass


def _bounded_load(text: str) -> Any:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        weight = _expanded_size(node, {}, set())
        if weight > MAX_NODES:
            raise _TooBig(
                f"its aliases expand to over {MAX_NODES} values (a YAML alias bomb?); "
                "write the values out instead"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many values `node` becomes once every alias is expanded (memoised: the graph
    shares aliased nodes, so this is linear in the file, however big the expansion)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise _TooBig("an alias refers to the mapping or list that contains it")
    open_nodes.add(key)
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _expanded_size(child, sizes, open_nodes)
            if size > MAX_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            size += _expanded_size(key_node, sizes, open_nodes)
            size += _expanded_size(value_node, sizes, open_nodes)
            if size > MAX_NODES:
                break
    open_nodes.discard(key)
    sizes[key] = size
    return size
