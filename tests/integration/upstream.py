#!/usr/bin/env python3
"""upstream.py: a scripted HTTP/1.1 upstream for sluice's tests (python3 stdlib only, loopback only).

Serves files from --root. What happens for a path is scripted in a JSON file (--config, re-read on
every request so a test can change it between runs) and/or in the query string (?status=503&...):

  {"/pool/a.deb": {"status": 503, "retry_after": "120"},
   "/flaky": {"sequence": [{"truncate_after": 1000}, {}]}}

Keys (all optional; query parameters use the same names):
  status          int      answer with this status (default 200, or 404 when the file is missing)
  retry_after     str      Retry-After header value (delta-seconds or HTTP date)
  location        str      Location header (use with status 301/302/307/308)
  headers         object   extra response headers
  body            str      literal body instead of the file
  etag            str      ETag (quoted as given); If-None-Match match -> 304
  last_modified   str      Last-Modified (HTTP date); If-Modified-Since equal -> 304
  range           bool     honour Range: bytes=a-[b] (default true); false ignores it (200)
  extra           int      send this many junk bytes after the body that Content-Length promised
  no_length       bool     no Content-Length: the body ends when the connection closes
  truncate_after  int      close the connection (FIN) after this many body bytes
  reset_after     int      reset the connection (RST) after this many body bytes
  stall_after     int      stop sending after this many body bytes for `stall` seconds (default 60)
  rate            int      drip the body at this many bytes per second
  sequence        list     per-request scripts for this path: request n uses sequence[n-1], the last
                           one repeats; each entry is merged over the path's other keys

Every request is appended to --log as one JSON line, written when the request arrives:
  {"t": <unix time, float>, "method": "GET", "path": "/a", "query": "", "range": "bytes=5-",
   "if_none_match": null, "if_modified_since": null, "user_agent": "...", "n": <nth request for path>,
   "status": <status chosen>}

The listening port (bound on 127.0.0.1, port 0 = any free one) is written to --port-file once the
socket listens. SIGTERM/SIGINT exit at once.
"""

import argparse
import email.utils
import http.server
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

COUNTS = {}
LOCK = threading.Lock()


def load_script(cfg_path, path, query):
    script = {}
    if cfg_path and os.path.exists(cfg_path):
        with open(cfg_path, encoding="utf-8") as f:
            data = json.load(f)
        script.update(data.get(path, {}))
    for k, v in urllib.parse.parse_qs(query).items():
        val = v[-1]
        if k in ("status", "extra", "truncate_after", "reset_after", "stall_after", "rate", "stall"):
            val = int(val)
        elif k in ("range", "no_length"):
            val = val not in ("0", "false", "no")
        script[k] = val
    with LOCK:
        n = COUNTS.get(path, 0) + 1
        COUNTS[path] = n
    seq = script.pop("sequence", None)
    if seq:
        script.update(seq[min(n, len(seq)) - 1])
    return script, n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "upstream.py"

    def log_message(self, fmt, *args):  # quiet: the JSON log is the record
        pass

    def do_HEAD(self):
        self.handle_one(head=True)

    def do_GET(self):
        self.handle_one(head=False)

    def log_request_line(self, script, n, status):
        u = urllib.parse.urlsplit(self.path)
        rec = {
            "t": self.arrived,
            "method": self.command,
            "path": u.path,
            "query": u.query,
            "range": self.headers.get("Range"),
            "if_none_match": self.headers.get("If-None-Match"),
            "if_modified_since": self.headers.get("If-Modified-Since"),
            "user_agent": self.headers.get("User-Agent"),
            "n": n,
            "status": status,
        }
        line = json.dumps(rec) + "\n"
        with LOCK:
            with open(self.server.log_path, "a", encoding="utf-8") as f:
                f.write(line)

    def body_of(self, path, script):
        if "body" in script:
            return script["body"].encode()
        rel = os.path.normpath(path.lstrip("/"))
        if rel.startswith("..") or os.path.isabs(rel):
            return None
        full = os.path.join(self.server.root, rel)
        if not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def handle_one(self, head):
        self.arrived = time.time()
        u = urllib.parse.urlsplit(self.path)
        script, n = load_script(self.server.cfg_path, u.path, u.query)
        body = self.body_of(u.path, script)
        status = int(script.get("status", 200 if body is not None else 404))
        headers = dict(script.get("headers", {}))
        if "retry_after" in script:
            headers["Retry-After"] = str(script["retry_after"])
        if "location" in script:
            headers["Location"] = script["location"]
        if "etag" in script:
            headers["ETag"] = script["etag"]
        if "last_modified" in script:
            headers["Last-Modified"] = script["last_modified"]
        if body is None or status >= 300:
            body = ("status %d\n" % status).encode()
        if status == 200 and self.not_modified(script):
            status, body = 304, b""
        if status == 200 and script.get("range", True) and self.headers.get("Range"):
            status, body, cr = self.apply_range(body)
            if cr:
                headers["Content-Range"] = cr
        self.log_request_line(script, n, status)

        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if script.get("no_length"):
            self.send_header("Connection", "close")
            self.close_connection = True
        elif status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head or status == 304:
            return
        self.send_body(body, script)

    def not_modified(self, script):
        inm = self.headers.get("If-None-Match")
        if inm is not None and "etag" in script:
            return inm.strip() == script["etag"] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims is not None and "last_modified" in script:
            a = email.utils.parsedate_to_datetime(ims)
            b = email.utils.parsedate_to_datetime(script["last_modified"])
            return a is not None and b is not None and b <= a
        return False

    def apply_range(self, body):
        spec = self.headers.get("Range", "")
        size = len(body)
        try:
            unit, rng = spec.split("=", 1)
            first, last = rng.split(",")[0].split("-")
            if unit.strip() != "bytes":
                raise ValueError
            if first == "":
                start, end = max(0, size - int(last)), size - 1
            else:
                start = int(first)
                end = int(last) if last else size - 1
        except ValueError:
            return 200, body, None
        if start >= size:
            return 416, b"", "bytes */%d" % size
        end = min(end, size - 1)
        return 206, body[start:end + 1], "bytes %d-%d/%d" % (start, end, size)

    def send_body(self, body, script):
        limit = len(body)
        mode = None
        for key in ("truncate_after", "reset_after", "stall_after"):
            if key in script:
                limit, mode = min(int(script[key]), len(body)), key
                break
        rate = int(script.get("rate", 0))
        sent = 0
        try:
            while sent < limit:
                chunk = limit - sent if rate <= 0 else max(1, min(limit - sent, rate // 20))
                self.wfile.write(body[sent:sent + chunk])
                sent += chunk
                if rate > 0:
                    time.sleep(chunk / rate)
            if mode is None and "extra" in script:
                self.wfile.write(b"X" * int(script["extra"]))
            if mode == "stall_after":
                self.wfile.flush()
                time.sleep(float(script.get("stall", 60)))
            elif mode == "truncate_after":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_WR)
            elif mode == "reset_after":
                self.close_connection = True
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
        except OSError:
            self.close_connection = True
        if "extra" in script or script.get("no_length"):
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--config")
    args = ap.parse_args()

    def bye(signum, frame):
        os._exit(0)
    signal.signal(signal.SIGTERM, bye)
    signal.signal(signal.SIGINT, bye)

    srv = Server(("127.0.0.1", args.port), Handler)
    srv.root = os.path.abspath(args.root)
    srv.cfg_path = args.config
    srv.log_path = args.log
    open(args.log, "a").close()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, args.port_file)
    srv.serve_forever(poll_interval=0.1)


if __name__ == "__main__":
    sys.exit(main())
