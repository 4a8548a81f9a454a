"""The README's "As a library" example, run as the README writes it."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from minidcos.pytest_plugin import ClusterFactory

README = Path(__file__).resolve().parents[1] / "README.md"


def library_example() -> str:
    section = README.read_text().split("### As a library", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's library section has no python example"
    return match.group(1)


def test_the_readme_library_example_runs(cluster_factory: ClusterFactory) -> None:
    code = library_example()
    assert '"library-example"' in code
    # The only change: this run's cluster id, so the session's leftover check covers it.
    cluster_id = cluster_factory.new_cluster_id("library")
    provider = cluster_factory.provider
    code = code.replace('"library-example"', repr(cluster_id))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {})
    output = printed.getvalue()
    assert '"version"' in output and '"bootstrap-id"' in output
    assert re.search(r"\d+ passed", output), output
    assert cluster_id not in provider.list_clusters()  # the with-block destroyed it
