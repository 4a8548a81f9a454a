"""The Mesos fetcher: CommandInfo.uris into the sandbox before the task starts.

Each URI (`value`, `executable`, `extract`, `cache`, `output_file`) comes
from `file://`, a plain path, or `http(s)://`. Archives (.tar, .tar.gz, .tgz,
.tar.bz2, .tar.xz, .zip) are extracted unless `extract` is false; an
executable file gets mode 0755. `cache: true` keeps a copy under the agent's
fetcher cache, keyed by the URI, and reuses it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aiohttp

from dcos_mesos.agent.launcher import LaunchError

ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".zip")


async def fetch_all(uris: list[dict[str, Any]], sandbox: Path, cache: Path) -> None:
    for uri in uris:
        await fetch(uri, sandbox, cache)


async def fetch(uri: dict[str, Any], sandbox: Path, cache: Path) -> Path:
    value = str(uri.get("value", ""))
    parsed = urlparse(value)
    name = uri.get("output_file") or os.path.basename(parsed.path) or "fetched"
    dest = sandbox / name
    cached = cache / hashlib.sha256(value.encode()).hexdigest() / os.path.basename(name)
    try:
        if uri.get("cache") and cached.exists():
            shutil.copyfile(cached, dest)
        elif parsed.scheme in ("http", "https"):
            await _download(value, dest)
        elif parsed.scheme in ("", "file"):
            shutil.copyfile(parsed.path if parsed.scheme else value, dest)
        else:
            raise LaunchError(f"Failed to fetch '{value}': unsupported scheme '{parsed.scheme}'")
    except (TimeoutError, OSError, aiohttp.ClientError) as exc:
        raise LaunchError(f"Failed to fetch '{value}': {exc}") from exc
    if uri.get("cache") and not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(dest, cached)
    if uri.get("executable"):
        dest.chmod(0o755)
    elif uri.get("extract", True) and str(dest).endswith(ARCHIVES):
        await asyncio.to_thread(_extract, dest, sandbox)
    return dest


async def _download(url: str, dest: Path) -> None:
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
        if resp.status != 200:
            raise LaunchError(f"Failed to fetch '{url}': HTTP {resp.status}")
        with open(dest, "wb") as f:
            async for chunk in resp.content.iter_chunked(65536):
                f.write(chunk)


def _extract(archive: Path, into: Path) -> None:
    if str(archive).endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(into)
        return
    with tarfile.open(archive) as tf:
        tf.extractall(into)
