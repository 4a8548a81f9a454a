"""Answering a journal query over HTTP: a range, a gzipped download, or a live stream.

Reading the journal blocks (it is memory-mapped files), so entries are read
in batches on a worker thread and written out between batches; a stream
then waits on the journal's inotify descriptor, so an idle stream costs
nothing until journald writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from . import formats
from .journal import CursorError, JournalLike, JournalReader, Match, Position

log = logging.getLogger("dcos-log")

BATCH_ENTRIES = 500
BATCH_BYTES = 256 * 1024
CLIENT_CHECK_S = 1.0

JournalFactory = Callable[[], JournalLike]


def dcos_error(request: web.Request, message: str, status: int) -> web.Response:
    """An error as dcos-log writes it: text naming the request it answers."""
    peer = request.remote or "@"
    body = (
        f"Message: {message} [request URI: {request.path_qs}; remote address: {peer}; "
        f"Accept: {request.headers.get('Accept', '')}; "
        f"Proto: HTTP/{request.version.major}.{request.version.minor}]\n"
    )
    log.error("%s", body.strip())
    if status == 204:  # no body allowed
        body = ""
    return web.Response(
        status=status,
        text=body,
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@dataclass
class JournalQuery:
    position: Position
    limit: int = 0
    matches: list[Match] = field(default_factory=list)
    any_of: list[Match] = field(default_factory=list)
    fmt: formats.Format = formats.Format.TEXT
    stream: bool = False
    with_id: bool = False  # `id: <cursor>` before each event


def _read_batch(reader: JournalReader, query: JournalQuery) -> tuple[list[bytes], bool]:
    """Up to one batch of rendered entries, and whether the end (for now) was reached."""
    chunks: list[bytes] = []
    size = 0
    while len(chunks) < BATCH_ENTRIES and size < BATCH_BYTES:
        entry = reader.read()
        if entry is None:
            return chunks, True
        rendered = formats.render(entry, query.fmt, query.with_id)
        if rendered is None:
            reader.give_back()  # an entry with nothing to show does not count against limit
            continue
        chunks.append(rendered)
        size += len(rendered)
    return chunks, False


def _headers(reader: JournalReader, query: JournalQuery) -> dict[str, str]:
    headers = {
        "Content-Type": query.fmt.content_type,
        "X-Journal-Skip-Next": str(reader.skipped_next),
        "X-Journal-Skip-Prev": str(reader.skipped_prev),
        "Cache-Control": "no-cache",
        "Access-Control-Allow-Origin": "*",
    }
    if query.stream:
        headers["X-Accel-Buffering"] = "no"
    return headers


async def _open(
    request: web.Request, factory: JournalFactory, query: JournalQuery
) -> JournalReader | web.Response:
    loop = asyncio.get_running_loop()
    journal = None
    try:
        journal = await loop.run_in_executor(None, factory)
        return await loop.run_in_executor(
            None,
            lambda: JournalReader(
                journal, query.position, query.limit, query.matches, query.any_of
            ),
        )
    except (CursorError, OSError) as exc:
        if journal is not None:
            journal.close()
        return dcos_error(request, f"Error opening journal reader: {exc}", 500)


async def respond(
    request: web.Request,
    factory: JournalFactory,
    query: JournalQuery,
    download_name: str | None = None,
) -> web.StreamResponse:
    opened = await _open(request, factory, query)
    if isinstance(opened, web.Response):
        return opened
    reader = opened
    try:
        if query.stream:
            return await _stream(request, reader, query)
        return await _range(request, reader, query, download_name)
    finally:
        reader.close()


async def _range(
    request: web.Request, reader: JournalReader, query: JournalQuery, download_name: str | None
) -> web.StreamResponse:
    loop = asyncio.get_running_loop()
    chunks, at_end = await loop.run_in_executor(None, _read_batch, reader, query)
    if not chunks:
        return dcos_error(request, "No match found", 204)
    response = web.StreamResponse(headers=_headers(reader, query))
    compressor = None
    if download_name:
        response.headers["Content-Disposition"] = f"attachment; filename={download_name}"
        compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # 31: gzip framing
    response.enable_chunked_encoding()
    await response.prepare(request)
    while True:
        data = b"".join(chunks)
        await response.write(compressor.compress(data) if compressor else data)
        if at_end:
            break
        chunks, at_end = await loop.run_in_executor(None, _read_batch, reader, query)
    if compressor:
        await response.write(compressor.flush())
    await response.write_eof()
    return response


def client_gone(request: web.Request) -> bool:
    """Whether the client closed the connection (aiohttp does not cancel the handler)."""
    transport = request.transport
    return transport is None or transport.is_closing()


async def _wait_for_journal(reader: JournalReader, timeout: float) -> bool:
    """Wait until journald appends (True) or `timeout` passes (False)."""
    journal = reader.journal
    fileno = getattr(journal, "fileno", None)
    if fileno is None:  # a journal without change notification: look again later
        await asyncio.sleep(timeout)
        return True
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()
    fd = fileno()
    loop.add_reader(fd, changed.set)
    try:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)
    finally:
        loop.remove_reader(fd)
    process = getattr(journal, "process", None)
    if process is not None:
        process()  # re-arms the descriptor and maps journal files that appeared
    return changed.is_set()


async def _stream(
    request: web.Request, reader: JournalReader, query: JournalQuery
) -> web.StreamResponse:
    loop = asyncio.get_running_loop()
    response = web.StreamResponse(headers=_headers(reader, query))
    response.enable_chunked_encoding()
    await response.prepare(request)
    idle_since = loop.time()
    while not client_gone(request):
        if not reader.exhausted:
            chunks, at_end = await loop.run_in_executor(None, _read_batch, reader, query)
            if chunks:
                await response.write(b"".join(chunks))
                idle_since = loop.time()
            if not at_end:
                continue
            # Wake at least once a second to notice a client that went away.
            if await _wait_for_journal(reader, CLIENT_CHECK_S):
                continue
        else:
            # The limit is reached: dcos-log keeps the stream open until the client goes.
            await asyncio.sleep(CLIENT_CHECK_S)
        if query.fmt is formats.Format.SSE and loop.time() - idle_since >= formats.PING_INTERVAL_S:
            await response.write(formats.SSE_PING)
            idle_since = loop.time()
    return response
