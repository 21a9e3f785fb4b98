#!/usr/bin/env python3
"""A Python web app for rpm's cluster mode, standard library only.

rpm binds the app's `port` once and hands each instance that listening socket as file
descriptor 3, the way systemd's socket activation does (LISTEN_FDS=1, LISTEN_PID=<pid>).
The app serves on fd 3 instead of binding a port, so all instances share it.
"""

import http.server
import json
import os
import signal
import socket
import socketserver
import threading

INSTANCE = os.environ.get("RPM_INSTANCE", "?")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"app": "api", "instance": INSTANCE, "pid": os.getpid()}).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # no line per request


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    block_on_close = True  # on close, wait for the requests in flight


def shared_socket():
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        raise SystemExit("api.py: no socket on fd 3; run it with rpm (exec_mode cluster, port)")
    sock = socket.socket(fileno=3)  # TCP or Unix: Python reads the family from the socket
    # All instances wait on this one socket; the ones that lose a race for a connection
    # must not block in accept(), or they could not stop.
    sock.setblocking(False)
    return sock


def notify_ready():
    """With `wait_ready: true`, tell rpm we serve (systemd's sd_notify protocol)."""
    addr = os.environ.get("NOTIFY_SOCKET")
    if addr:
        if addr.startswith("@"):
            addr = "\0" + addr[1:]  # an abstract socket name
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(b"READY=1", addr)


def main():
    server = Server(None, Handler, bind_and_activate=False)
    server.socket.close()
    server.socket = shared_socket()

    threading.Thread(target=server.serve_forever, args=(0.1,)).start()
    print(f"instance {INSTANCE} serving", flush=True)
    notify_ready()

    # `rpm reload` / `rpm stop` send SIGINT: stop accepting, finish what is in flight.
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(1):
        pass
    print(f"instance {INSTANCE} shutting down", flush=True)
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
