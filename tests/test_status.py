"""Progress output: a rewritten line on a terminal, plain lines (and no rewriting) in CI logs."""

from __future__ import annotations

import io

from minidcos.status import Status


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    out = Terminal()
    status = Status(out)
    with status.step("Building node image") as step:
        step.progress("Get:1 bookworm InRelease")
        step.progress("Get:2 bookworm-updates InRelease")
        step.update("Step 2/9: RUN apt-get install")
    text = out.getvalue()
    assert "\r\x1b[2K     Get:1 bookworm InRelease" in text
    assert "\r\x1b[2K     Get:2 bookworm-updates InRelease" in text
    # A plain line first clears the progress line, so the two never mix.
    assert "\r\x1b[2K     Step 2/9: RUN apt-get install" in text
    assert "\u2713 Building node image" in text


def test_progress_is_left_out_of_logs() -> None:
    out = io.StringIO()
    status = Status(out)
    with status.step("Building node image") as step:
        step.progress("Get:1 bookworm InRelease")
        step.update("Step 2/9: RUN apt-get install")
    text = out.getvalue()
    assert "Get:1" not in text and "\x1b" not in text
    assert "Step 2/9: RUN apt-get install" in text
    assert "Building node image: ok" in text
