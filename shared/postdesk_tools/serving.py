"""How the local stack's HTTP servers run: their loop looks every 50 ms whether it is asked to stop
(the standard library's 0.5 s would make every stop of the stack wait that long)."""

from __future__ import annotations

import threading
from socketserver import BaseServer

SHUTDOWN_POLL_SECONDS = 0.05


def serve_until_shutdown(server: BaseServer) -> None:
    """Serve in this thread until ``server.shutdown()``."""
    server.serve_forever(poll_interval=SHUTDOWN_POLL_SECONDS)


def serve_in_thread(server: BaseServer, name: str) -> threading.Thread:
    """Serve in a daemon thread of its own, started."""
    thread = threading.Thread(target=serve_until_shutdown, args=(server,), name=name, daemon=True)
    thread.start()
    return thread
