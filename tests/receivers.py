"""A local HTTP receiver for the integration tests: it records every POST and answers from a script (default 200),
so webhook and robot deliveries are tested against a real socket without any outside network."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Got:
    """One request received."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What a receiver got, and what it answers next: `script` entries (status, headers, body) are used up in turn;
    `answer` (given the request, returning the same) decides when the script is empty."""

    url: str
    got: list[Got] = field(default_factory=list)
    script: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    answer: Callable[[Got], tuple[int, dict[str, str], bytes]] | None = None


@contextmanager
def receiver(path: str = "/hook") -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 at a free port, for the duration of the block."""
    state = Receiver("")
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got = Got(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            with lock:
                state.got.append(got)
                if state.script:
                    status, headers, out = state.script.pop(0)
                elif state.answer is not None:
                    status, headers, out = state.answer(got)
                else:
                    status, headers, out = 200, {}, b"ok"
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
