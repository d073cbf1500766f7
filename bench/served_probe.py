#!/usr/bin/env python3
"""served_probe: issue 17's attack probe of sluice-served, repeated for the closing note.

1. 30,000 requests with a 16,000-byte Cookie (the leak of item 1): sluice-served's RSS and in-flight
   gauge before and after, and what the clients got back.
2. 1,100 slow clients from 20 loopback addresses (127.0.0.1-20, 55 each: under the per-address cap of 64)
   sending one header line every 10 s and reconnecting when cut (item 2), while a normal client fetches
   InRelease once a second: its latency and status, and how often the attackers were cut.

The server runs with the defaults that matter (max_connections 1024, max_connections_per_ip 64,
connection_timeout 30s, header_timeout 10s), 2 threads, on a free loopback port.
Usage: bench/served_probe.py [BUILD_DIR] [ATTACK_SECONDS]   (default build, 40 s)"""
import os
import re
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "build")
attack_s = float(sys.argv[2]) if len(sys.argv) > 2 else 40.0
binary = os.path.join(build, "served", "sluice-served")
PATH = b"/apt/deb/dists/stable/InRelease"

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))

tmp = tempfile.mkdtemp(prefix="sl-probe-")
state = os.path.join(tmp, "state")
gen = os.path.join(state, "public", ".gen", "apt-deb-1")
os.makedirs(os.path.join(gen, "dists", "stable"))
os.makedirs(os.path.join(state, "public", "apt"))
with open(os.path.join(gen, "dists", "stable", "InRelease"), "w") as f:
    f.write("Origin: probe\nSuite: stable\n")
os.symlink("../.gen/apt-deb-1", os.path.join(state, "public", "apt", "deb"))
open(os.path.join(tmp, "keyring.gpg"), "w").close()
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
user = ""
if os.geteuid() == 0:
    user = "user = nobody"
    subprocess.run(["chmod", "-R", "a+rX", tmp], check=True)
with open(os.path.join(tmp, "sluice.conf"), "w") as f:
    f.write(f"""[sluice]
state_dir = {state}

[served]
listen = 127.0.0.1:{port}
threads = 2
max_connections = 1024
max_connections_per_ip = 64
connection_timeout = 30s
header_timeout = 10s
{user}

[source deb]
type = apt
url = http://127.0.0.1:9/debian
suites = stable
keyring = {tmp}/keyring.gpg
""")
srv = subprocess.Popen([binary, "-c", os.path.join(tmp, "sluice.conf"), "-f"], stdout=subprocess.PIPE,
                       stderr=open(os.path.join(tmp, "served.err"), "w"))
if not srv.stdout.readline().startswith(b"serving on "):
    sys.exit("probe: sluice-served did not start (see %s/served.err)" % tmp)


def exchange(data, src="127.0.0.1", timeout=10.0):
    c = socket.socket()
    c.bind((src, 0))
    c.settimeout(timeout)
    c.connect(("127.0.0.1", port))
    try:
        c.sendall(data)
    except OSError:
        pass
    out = b""
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    c.close()
    return out


def rss_kb():
    with open("/proc/%d/status" % srv.pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def in_flight():
    body = exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    m = re.search(rb"^sluice_http_in_flight (\d+)$", body, re.M)
    return int(m.group(1)) - 1 if m else None   # minus the metrics request itself


# ---- 1. the leak ----------------------------------------------------------------------------------------
print("probe 1: 30,000 requests with a 16,000-byte Cookie")
rss0, gauge0 = rss_kb(), in_flight()
cookie = b"GET " + PATH + b" HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * 16000 + b"\r\n\r\n"
statuses = {}
lock = threading.Lock()


def hammer(n):
    local = {}
    for _ in range(n):
        m = re.match(rb"HTTP/1\.1 (\d{3})", exchange(cookie))
        k = m.group(1).decode() if m else "no answer"
        local[k] = local.get(k, 0) + 1
    with lock:
        for k, v in local.items():
            statuses[k] = statuses.get(k, 0) + v


t0 = time.time()
threads = [threading.Thread(target=hammer, args=(3750,)) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
took = time.time() - t0
time.sleep(1)
rss1, gauge1 = rss_kb(), in_flight()
print("  answers: %s in %.1f s" % (", ".join("%s x%d" % kv for kv in sorted(statuses.items())), took))
print("  RSS %.1f MB -> %.1f MB; in-flight gauge %s -> %s" % (rss0 / 1024, rss1 / 1024, gauge0, gauge1))

# ---- 2. slow heads --------------------------------------------------------------------------------------
print("probe 2: 1,100 slow clients from 127.0.0.1-20 (55 each), one header line every 10 s, %.0f s" % attack_s)
stop = threading.Event()
counts = {"connects": 0, "cut": 0, "408": 0, "refused": 0}


def attacker():
    socks = {}   # socket -> (source address, next send time, line number)
    sel = selectors.DefaultSelector()   # epoll: 1,100 descriptors are beyond select()

    def connect(src):
        c = socket.socket()
        c.setblocking(False)
        c.bind((src, 0))
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        except OSError:
            counts["refused"] += 1
            c.close()
            return
        counts["connects"] += 1
        socks[c] = [src, time.time() + 0.2, 0]
        sel.register(c, selectors.EVENT_READ)

    for i in range(1100):
        connect("127.0.0.%d" % (1 + i % 20))
    while not stop.is_set():
        now = time.time()
        for c, st in list(socks.items()):
            if now >= st[1]:
                line = b"GET " + PATH + b" HTTP/1.1\r\n" if st[2] == 0 else b"X-Slow-%d: 1\r\n" % st[2]
                try:
                    c.send(line)
                    st[2] += 1
                    st[1] = now + 10
                except OSError:
                    pass
        for key, _ in sel.select(0.2):
            c = key.fileobj
            try:
                b = c.recv(4096)
            except OSError:
                b = b""
            if b.startswith(b"HTTP/1.1 408"):
                counts["408"] += 1
            src = socks.pop(c)[0]
            counts["cut"] += 1
            sel.unregister(c)
            c.close()
            connect(src)   # a real attacker comes straight back
    for c in socks:
        c.close()


att = threading.Thread(target=attacker)
att.start()
time.sleep(3)   # the attackers are connected
lat, codes = [], {}
end = time.time() + attack_s
while time.time() < end:
    t0 = time.time()
    a = exchange(b"GET " + PATH + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", src="127.0.0.200")
    lat.append(time.time() - t0)
    m = re.match(rb"HTTP/1\.1 (\d{3})", a)
    k = m.group(1).decode() if m else "no answer"
    codes[k] = codes.get(k, 0) + 1
    time.sleep(max(0, 1 - (time.time() - t0)))
stop.set()
att.join()
lat.sort()
print("  normal client: %d requests, %s; latency median %.3f s, max %.3f s" %
      (len(lat), ", ".join("%s x%d" % kv for kv in sorted(codes.items())), lat[len(lat) // 2], lat[-1]))
print("  attackers: %d connections, %d cut by the server (%d with 408)" %
      (counts["connects"], counts["cut"], counts["408"]))
time.sleep(1)
print("  RSS after the attack %.1f MB; in-flight gauge %s" % (rss_kb() / 1024, in_flight()))
srv.terminate()
rc = srv.wait()
with open(os.path.join(tmp, "served.err")) as f:
    err = f.readlines()
still = [l for l in err if "still in flight" in l]
print("  SIGTERM: exit status %d, %s" % (rc, still[0].strip() if still else "no request left in flight"))
sanitizer = [l for l in err if "Sanitizer" in l]
if sanitizer:
    print("  sanitizer: %s" % sanitizer[0].strip())
shutil.rmtree(tmp, ignore_errors=True)
