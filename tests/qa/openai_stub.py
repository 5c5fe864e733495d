"""A scripted stand-in for an OpenAI-compatible server, for faults a real one can't make on demand.

It speaks the real protocol over HTTP on loopback: POST /v1/chat/completions with "stream": true
answered by server-sent events ("data: {chunk}" lines, then "data: [DONE]").
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class ScriptedServer:
    """`mode` picks the behaviour: "answer", "http500", "slow", "broken", "garbage",
    "dies" (the connection closed with no reply, as when the server process crashes)."""

    def __init__(self) -> None:
        self.mode = "answer"
        self.reply = ""
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                server.requests.append(json.loads(self.rfile.read(length)))
                if server.mode == "dies":
                    self.close_connection = True
                    return
                if server.mode == "http500":
                    body = b'{"error": {"message": "model crashed"}}'
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                if server.mode == "slow":
                    time.sleep(3)  # the fault under test: longer than the client's timeout
                    return
                if server.mode == "garbage":
                    self.wfile.write(b"data: {this is not json\n\n")
                    return
                words = server.reply.split(" ")
                for i, word in enumerate(words):
                    delta = {"content": word + (" " if i < len(words) - 1 else "")}
                    chunk = {
                        "object": "chat.completion.chunk",
                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if server.mode == "broken" and i == 2:
                        return  # connection closes mid-answer, no finish_reason, no [DONE]
                done = {
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
