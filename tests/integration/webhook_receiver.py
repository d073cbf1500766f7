#!/usr/bin/env python3
"""A webhook receiver on loopback for the alert tests: every POST body is appended to FILE, one JSON
document per line, and answered 204. Usage: webhook_receiver.py PORT FILE"""
import http.server
import sys

port, out = int(sys.argv[1]), sys.argv[2]


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with open(out, "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.HTTPServer(("127.0.0.1", port), Hook).serve_forever()
