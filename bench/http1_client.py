"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generators.

One request at a time per connection, as a member's page sends them. It exists because a
general client (aiohttp) spends about 0.25 ms of CPU per request, which on a 2-core
machine is taken from the server under test; this one spends a third of that. It speaks
only what the bench needs: Content-Length or chunked responses, and reconnecting when the
server closes the connection (gunicorn's sync worker does after every response).
"""

from __future__ import annotations

import asyncio


class ResponseError(Exception):
    pass


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.headers = b""  # the raw header block of the last response (for Set-Cookie)
        self._host_header = f"Host: {host}:{port}\r\n".encode()

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, headers: bytes = b"", body: bytes = b""
    ) -> tuple[int, bytes]:
        """(status, body). ``headers`` are ready-made ``Name: value\\r\\n`` lines."""
        if self.writer is None:
            await self._open()
        head = (
            f"{method} {path} HTTP/1.1\r\n".encode()
            + self._host_header
            + headers
            + (b"Content-Length: %d\r\n\r\n" % len(body))
        )
        try:
            self.writer.write(head + body)
            return await self._response()
        except (ConnectionError, asyncio.IncompleteReadError):
            # A keep-alive connection the server had closed: one retry on a new one.
            # (Only before any byte of the answer arrived would this be safe in general;
            # the bench's beats are idempotent, so a resend is harmless either way.)
            self.close()
            await self._open()
            self.writer.write(head + body)
            return await self._response()

    async def _response(self) -> tuple[int, bytes]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        self.headers = raw
        try:
            status = int(raw[9:12])
        except ValueError:
            raise ResponseError(raw[:80]) from None
        lower = raw.lower()
        length, chunked, close = None, False, False
        for line in lower.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = b"close" in value
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:  # body until the server closes
            body = await self.reader.read()
            close = True
        if close:
            self.close()
        return status, body
