"""A small HTTP/1.1 load client for the benchmarks: raw keep-alive connections over asyncio, so the
client's own cost per request is a few tens of microseconds and the same for every server measured.
Loopback only: `Conn` refuses any host but 127.0.0.1."""
import asyncio
import time


class HTTPError(Exception):
    pass


class Conn:
    """One keep-alive connection. `request` returns (status, headers dict (lower-case names), body,
    seconds). A server that closes the connection (HTTP/1.0, `Connection: close`) is reconnected
    transparently on the next request."""

    def __init__(self, port, host="127.0.0.1", headers=None):
        if host != "127.0.0.1":
            raise ValueError("benchmarks talk to 127.0.0.1 only")
        self.host, self.port = host, port
        self.base_headers = headers or {}
        self.reader = self.writer = None

    async def connect(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 26)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            fresh = self.writer is None
            if fresh:
                await self.connect()
            try:
                return await self._once(method, path, body, headers)
            except (ConnectionError, asyncio.IncompleteReadError, HTTPError):
                self.close()
                if fresh or attempt == 1:
                    raise
        raise HTTPError("unreachable")

    async def _once(self, method, path, body, headers):
        data = body if isinstance(body, (bytes, bytearray)) else (body.encode() if body else b"")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        for k, v in {**self.base_headers, **(headers or {})}.items():
            lines.append(f"{k}: {v}")
        if data or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(data)}")
        start = time.perf_counter()
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + data)
        status_line = await self.reader.readline()
        if not status_line:
            raise HTTPError("connection closed")
        parts = status_line.split(b" ", 2)
        version, status = parts[0], int(parts[1])
        hdrs = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if "content-length" in hdrs:
            payload = await self.reader.readexactly(int(hdrs["content-length"]))
        elif hdrs.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    break
                chunks.append(await self.reader.readexactly(size))
                await self.reader.readline()
            payload = b"".join(chunks)
        elif status in (204, 304) or method == "HEAD":
            payload = b""
        else:
            payload = await self.reader.read()
            self.close()
        seconds = time.perf_counter() - start
        if hdrs.get("connection", "").lower() == "close" or (version == b"HTTP/1.0" and
                                                             hdrs.get("connection", "").lower() != "keep-alive"):
            self.close()
        return status, hdrs, payload, seconds
