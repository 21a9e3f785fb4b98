#!/usr/bin/env python3
"""Tiny HTTP server for rpm's examples: answers every request on $PORT (default 8000)
and prints one line per request. Uses the socket rpm passes on fd 3 (LISTEN_FDS=1) when
there is one, so it also runs with `instances` > 1 behind one port."""
import os
import socket
from http.server import BaseHTTPRequestHandler, HTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self):
        greeting = os.environ.get("GREETING", "hello")
        body = f"{greeting} from pid {os.getpid()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else '?'}", flush=True)


def main():
    port = int(os.environ.get("PORT", "8000"))
    if os.environ.get("LISTEN_FDS") == "1":
        server = HTTPServer(("", port), Hello, bind_and_activate=False)
        server.socket = socket.socket(fileno=3)
    else:
        server = HTTPServer(("", port), Hello)
    print(f"web listening on port {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("web stopping", flush=True)


if __name__ == "__main__":
    main()
