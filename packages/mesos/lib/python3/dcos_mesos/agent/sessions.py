"""Nested container sessions (`dcos task exec`): LAUNCH_NESTED_CONTAINER_SESSION,
ATTACH_CONTAINER_INPUT and ATTACH_CONTAINER_OUTPUT of the v1 agent API.

A session runs a command inside a running task's container (its sandbox and
environment; `docker exec` or `crun exec` for tasks with an image), with a
TTY when `container.tty_info` asks for one. Output streams back as RecordIO
records of `ProcessIO` JSON (`Content-Type: application/recordio`,
`Message-Content-Type: application/json`); input arrives the same way in the
request body of ATTACH_CONTAINER_INPUT. The session ends when the command does.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import json
import os
import struct
import termios
from typing import TYPE_CHECKING, Any

from aiohttp import web
from dcos_internal_utils import recordio

from dcos_mesos.agent import launcher
from dcos_mesos.agent.views import find_container
from dcos_mesos.ids import value

if TYPE_CHECKING:
    from dcos_mesos.agent.core import Agent

RECORDIO_HEADERS = {
    "Content-Type": "application/recordio",
    "Message-Content-Type": "application/json",
}


def io_record(kind: str, data: bytes) -> bytes:
    return recordio.encode_json(
        {"type": "DATA", "data": {"type": kind, "data": base64.b64encode(data).decode()}}
    )


class Session:
    def __init__(
        self, container_id: str, proc: asyncio.subprocess.Process, tty_fd: int | None
    ) -> None:
        self.container_id = container_id
        self.proc = proc
        self.tty_fd = tty_fd
        self.listeners: list[asyncio.Queue[bytes | None]] = []
        self.backlog: list[bytes] = []
        self.done = asyncio.Event()
        self.pump: asyncio.Future[None] | None = None  # reads its output until it exits

    def publish(self, record: bytes | None) -> None:
        if record is not None:
            self.backlog.append(record)
        for queue in self.listeners:
            queue.put_nowait(record)

    def write(self, data: bytes) -> None:
        if self.tty_fd is not None:
            os.write(self.tty_fd, data)
        elif self.proc.stdin is not None:
            self.proc.stdin.write(data)

    def close_input(self) -> None:
        if self.tty_fd is None and self.proc.stdin is not None:
            self.proc.stdin.close()

    def resize(self, rows: int, columns: int) -> None:
        if self.tty_fd is not None:
            fcntl.ioctl(self.tty_fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


class Sessions:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.sessions: dict[str, Session] = {}
        # Exit codes of ended sessions, for WAIT_NESTED_CONTAINER after the output ended
        # (as `dcos task exec` asks); the last few hundred are kept.
        self.exited: dict[str, int] = {}

    def _argv(
        self, parent_id: str, command: dict[str, Any], tty: bool
    ) -> tuple[list[str], str | None, dict[str, str]]:
        found = find_container(self.agent, parent_id)
        if found is None:
            raise web.HTTPNotFound(text=f"Container {parent_id} cannot be found")
        record, task = found
        argv = (
            launcher.command_argv(command)
            if (command.get("value") or command.get("arguments"))
            else ["/bin/sh"]
        )
        image = (((task.info if task else {}).get("container") or {}).get("mesos") or {}).get(
            "image"
        )
        cid = self.agent.container_of(record, task) if task else record.id
        env = launcher.environment(dict(os.environ), launcher.command_env(command))
        if record.kind == "docker":
            return (
                ["docker", "exec", "-i", *(["-t"] if tty else []), f"mesos-{cid}", *argv],
                None,
                env,
            )
        if image:
            return ["crun", "exec", *(["-t"] if tty else []), f"mesos-{cid}", *argv], None, env
        cwd = record.sandbox
        if task is not None and task.container_id:
            cwd = os.path.join(record.sandbox, "tasks", task.id)
        env.update({"MESOS_SANDBOX": cwd})
        if task is not None:
            env.update(launcher.command_env(task.info.get("command") or {}))
        return argv, cwd, env

    async def launch_session(
        self, request: web.Request, call: dict[str, Any]
    ) -> web.StreamResponse:
        spec = call.get("launch_nested_container_session") or {}
        container_id = spec.get("container_id") or {}
        cid = value(container_id)
        parent = value(container_id.get("parent"))
        if not cid or not parent:
            return web.Response(
                status=400,
                text="Failed to validate agent::Call: "
                "Expecting 'container_id.parent' to be present",
            )
        if cid in self.sessions:
            return web.Response(status=400, text=f"Container {cid} already exists")
        tty_info = (spec.get("container") or {}).get("tty_info")
        argv, cwd, env = self._argv(parent, spec.get("command") or {}, tty_info is not None)
        session = await self._spawn(cid, argv, cwd, env, tty_info)
        return await self._stream(request, session)

    async def _spawn(
        self,
        cid: str,
        argv: list[str],
        cwd: str | None,
        env: dict[str, str],
        tty_info: dict[str, Any] | None,
    ) -> Session:
        if tty_info is not None:
            master_fd, slave_fd = os.openpty()
            size = tty_info.get("window_size") or {}
            if size:
                fcntl.ioctl(
                    slave_fd,
                    termios.TIOCSWINSZ,
                    struct.pack(
                        "HHHH", int(size.get("rows", 24)), int(size.get("columns", 80)), 0, 0
                    ),
                )
            env.setdefault("TERM", "xterm")
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=slave_fd,
                stdout=slave_fd,
                stderr=slave_fd,
                cwd=cwd,
                env=env,
                start_new_session=True,
            )
            os.close(slave_fd)
            session = Session(cid, proc, master_fd)
            session.pump = asyncio.ensure_future(self._pump_tty(session, master_fd))
        else:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=cwd,
                env=env,
            )
            session = Session(cid, proc, None)
            session.pump = asyncio.ensure_future(self._pump_pipes(session))
        self.sessions[cid] = session
        return session

    async def _pump_tty(self, session: Session, fd: int) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()

        def readable() -> None:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(fd)
                queue.put_nowait(None)
            else:
                queue.put_nowait(data)

        loop.add_reader(fd, readable)
        while (chunk := await queue.get()) is not None:
            session.publish(io_record("STDOUT", chunk))
        await session.proc.wait()
        self._finish(session)
        os.close(fd)

    async def _pump_pipes(self, session: Session) -> None:
        async def pump(reader: asyncio.StreamReader | None, kind: str) -> None:
            while reader is not None and (chunk := await reader.read(65536)):
                session.publish(io_record(kind, chunk))

        await asyncio.gather(
            pump(session.proc.stdout, "STDOUT"), pump(session.proc.stderr, "STDERR")
        )
        await session.proc.wait()
        self._finish(session)

    def _finish(self, session: Session) -> None:
        session.publish(None)
        session.done.set()
        self.sessions.pop(session.container_id, None)
        self.exited[session.container_id] = session.proc.returncode or 0
        while len(self.exited) > 500:
            del self.exited[next(iter(self.exited))]

    async def _stream(self, request: web.Request, session: Session) -> web.StreamResponse:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        for record in session.backlog:
            queue.put_nowait(record)
        if session.done.is_set():
            queue.put_nowait(None)
        session.listeners.append(queue)
        response = web.StreamResponse(status=200, headers=RECORDIO_HEADERS)
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            while (item := await queue.get()) is not None:
                await response.write(item)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            if queue in session.listeners:
                session.listeners.remove(queue)
        return response

    async def attach_output(self, request: web.Request, call: dict[str, Any]) -> web.StreamResponse:
        cid = value((call.get("attach_container_output") or {}).get("container_id"))
        session = self.sessions.get(cid)
        if session is None:
            return web.Response(status=404, text=f"Container {cid} cannot be found")
        return await self._stream(request, session)

    async def attach_input(self, request: web.Request) -> web.Response:
        decoder = recordio.Decoder()
        session: Session | None = None
        async for chunk in request.content.iter_any():
            for raw in decoder.feed(chunk):
                message = json.loads(raw)
                attach = message.get("attach_container_input") or {}
                if session is None:
                    if attach.get("type") != "CONTAINER_ID":
                        return web.Response(
                            status=400,
                            text="Expecting the first message to be of type 'CONTAINER_ID'",
                        )
                    cid = value(attach.get("container_id"))
                    session = self.sessions.get(cid)
                    if session is None:
                        return web.Response(status=404, text=f"Container {cid} cannot be found")
                    continue
                io = attach.get("process_io") or {}
                if io.get("type") == "DATA":
                    data = base64.b64decode((io.get("data") or {}).get("data", ""))
                    if data:
                        session.write(data)
                    else:
                        session.close_input()
                elif io.get("type") == "CONTROL":
                    control = io.get("control") or {}
                    size = (control.get("tty_info") or {}).get("window_size")
                    if size:
                        session.resize(int(size.get("rows", 24)), int(size.get("columns", 80)))
        if session is not None:
            session.close_input()
        return web.Response(status=200)

    async def nested(self, request: web.Request, call: dict[str, Any]) -> web.Response:
        kind = call["type"]
        if kind == "LAUNCH_NESTED_CONTAINER":
            spec = call.get("launch_nested_container") or {}
            container_id = spec.get("container_id") or {}
            argv, cwd, env = self._argv(
                value(container_id.get("parent")), spec.get("command") or {}, False
            )
            await self._spawn(value(container_id), argv, cwd, env, None)
            return web.Response(status=200)
        key = {
            "WAIT_NESTED_CONTAINER": "wait_nested_container",
            "KILL_NESTED_CONTAINER": "kill_nested_container",
            "REMOVE_NESTED_CONTAINER": "remove_nested_container",
        }[kind]
        cid = value((call.get(key) or {}).get("container_id"))
        session = self.sessions.get(cid)
        if kind == "WAIT_NESTED_CONTAINER":
            if session is not None:
                await session.done.wait()
            if cid not in self.exited:
                return web.Response(status=404, text=f"Container {cid} cannot be found")
            rc = self.exited[cid]
            status = rc << 8 if rc >= 0 else -rc
            return web.json_response(
                {"type": "WAIT_NESTED_CONTAINER", "wait_nested_container": {"exit_status": status}}
            )
        if session is not None and kind == "KILL_NESTED_CONTAINER":
            session.proc.kill()
        return web.Response(status=200)
