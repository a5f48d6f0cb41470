"""uvicorn's h11 protocol with the two limits uvicorn lacks: a deadline for receiving each request, and a cap
on the connections one client address may hold open.

uvicorn closes an idle connection only after a response (``timeout_keep_alive``): a connection that sends
nothing, or sends a request a byte at a time, stays open for ever (uvicorn issue #160, pull request #1192), and
every open connection counts against ``limit_concurrency``, so a few dozen idle sockets turned every request
into a 503. ``uvicorn.Config(http=...)`` takes a protocol class; this one is uvicorn's own h11 protocol with a
timer armed when a connection opens and after each response, and checked when it fires: a connection still
waiting for (the rest of) a request is closed, one whose request is being answered is left alone.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["MAX_CONNECTIONS", "MAX_CONNECTIONS_PER_CLIENT", "MAX_HEADER_BYTES", "REQUEST_TIMEOUT_S",
           "GuardedH11Protocol"]

REQUEST_TIMEOUT_S = 10.0
"""Seconds a connection may take to deliver a whole request (headers and body) after it opens or after the
previous response; a feedback request is a few hundred bytes."""
MAX_CONNECTIONS_PER_CLIENT = 32
"""Open connections one client address may hold; a further one gets a 503 and is closed (a browser opens 6)."""
MAX_CONNECTIONS = 512
"""uvicorn's ``limit_concurrency``: past this many open connections or running requests, requests get a 503."""
MAX_HEADER_BYTES = 16 * 1024
"""uvicorn's ``h11_max_incomplete_event_size``: a request line and headers larger than this get a 400."""

_BUSY_TEXT = b"too many open connections from this address.\n"
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
         b"retry-after: 1\r\ncontent-length: %d\r\n\r\n%s" % (len(_BUSY_TEXT), _BUSY_TEXT))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections that are slow to send a request or one too many per client."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        host = self.client[0] if self.client else None
        peers = [getattr(c, "client", None) for c in self.connections]
        if host is not None and sum(1 for p in peers if p and p[0] == host) > MAX_CONNECTIONS_PER_CLIENT:
            transport.write(_BUSY)
            transport.close()
            return
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(REQUEST_TIMEOUT_S, self._on_deadline)

    def _on_deadline(self) -> None:
        self._deadline = None
        cycle = self.cycle
        waiting = cycle is None or cycle.response_complete or (cycle.more_body and not cycle.response_started)
        if waiting and not self.transport.is_closing():
            self.transport.close()
