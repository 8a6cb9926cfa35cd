#!/usr/bin/env python3
"""Shards on one machine, checked against what nginx saw (docs/shards.md).

Starts nginx on 127.0.0.1 with a temporary prefix and an access log of
`$msec`, then:

1. one process at RATE rps for DURATION (the reference);
2. three `run --shard i/3 --start-at T0` processes, T0 the same instant;
3. `merge` of the three parts;
4. each refusal of `merge` (missing, duplicate, other schedule, truncated,
   corrupt histogram, not a part): exit 2, one line naming the file.

Checks: merged efficiency >= 99.9%; nginx saw RATE +- 1% requests in each
whole second after T0; the median gap between consecutive requests at nginx
within 5% of the single process's; merged counts = the sum of the parts;
merged p50/p99 between the parts' (exact equality with the histogram of all
samples is the unit tests' job: tests decode and add the histograms).

usage: python3 xtask/shards_acceptance.py [--bin PATH] [--rps 3000]
       [--duration 5] [--lead 3]
Exit 0 when every check passes, 1 otherwise. Loopback only.
"""

import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

NGINX_CONF = """
worker_processes 1;
error_log {dir}/error.log;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    log_format t '$msec';
    access_log {log} t buffer=256k flush=1s;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 60s;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}
}}
"""

# Consecutive requests over which the median gap is taken: nginx's $msec
# has a resolution of 1 ms, three requests' gap at 3000 rps, so the gap is
# measured over a span of K requests (about 10 ms) and divided by K.
K = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx on a free loopback port, logging each request's $msec."""

    def __init__(self, work, name):
        self.dir = os.path.join(work, name)
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "access.log")
        self.port = free_port()
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF.format(dir=self.dir, log=self.log, port=self.port))
        subprocess.run(["nginx", "-p", self.dir, "-c", self.conf], check=True)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}/"

    def stop(self):
        """Stops nginx (flushing its log) and returns the request times."""
        subprocess.run(["nginx", "-p", self.dir, "-c", self.conf, "-s", "quit"], check=True)
        pidfile = os.path.join(self.dir, "nginx.pid")
        for _ in range(200):
            if not os.path.exists(pidfile):
                break
            time.sleep(0.05)
        with open(self.log) as f:
            return sorted(float(line) for line in f if line.strip())


def run(bin_, url, rps, duration, extra):
    cmd = [bin_, "ratecheck", "run", "--url", url, "--rps", str(rps),
           "--duration", f"{duration}s", "--concurrency", "32", "--quiet"] + extra
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL)


def median_gap_ms(times):
    spans = [(times[i + K] - times[i]) / K for i in range(len(times) - K)]
    return statistics.median(spans) * 1e3


def per_second(times, t0, seconds):
    return [sum(1 for t in times if t0 + k <= t < t0 + k + 1) for k in range(seconds)]


class Checks:
    def __init__(self):
        self.failed = 0

    def check(self, ok, text):
        print(("ok    " if ok else "FAIL  ") + text)
        self.failed += 0 if ok else 1


def single(args, work):
    ng = Nginx(work, "single")
    p = run(args.bin, ng.url, args.rps, args.duration, ["--json", os.path.join(work, "single.json")])
    p.wait()
    return median_gap_ms(ng.stop())


def shards(args, work):
    ng = Nginx(work, "shards")
    t0 = time.time() + args.lead
    # Whole milliseconds: nginx's $msec and the checks below share them.
    t0 = round(t0, 3)
    start_at = datetime.datetime.fromtimestamp(t0, datetime.timezone.utc).isoformat().replace("+00:00", "Z")
    parts = [os.path.join(work, f"part-{i}.json") for i in range(3)]
    procs = [run(args.bin, ng.url, args.rps, args.duration,
                 ["--shard", f"{i}/3", "--start-at", start_at, "--json", parts[i]])
             for i in range(3)]
    codes = [p.wait() for p in procs]
    return t0, start_at, parts, codes, ng.stop()


def merge(bin_, files, extra=()):
    return subprocess.run([bin_, "ratecheck", "merge", *files, *extra],
                          capture_output=True, text=True)


def refusals(c, bin_, work, parts):
    def variant(name, edit):
        with open(parts[2]) as f:
            v = json.load(f)
        edit(v)
        path = os.path.join(work, name)
        with open(path, "w") as f:
            json.dump(v, f)
        return path

    def shard_of(v):
        return v["shard"]

    cut = os.path.join(work, "cut.json")
    with open(parts[2]) as f, open(cut, "w") as out:
        text = f.read()
        out.write(text[: len(text) // 2])
    cases = [
        ("missing shard", parts[:2], "shard 2 of 3 missing"),
        ("duplicate shard", [parts[0], parts[1], parts[1]], parts[1]),
        ("other schedule", [parts[0], parts[1],
                            variant("other.json", lambda v: shard_of(v)["schedule"].update(rps=1.0))], "other.json"),
        ("truncated part", [parts[0], parts[1], cut], "cut.json"),
        ("corrupt histogram", [parts[0], parts[1],
                               variant("bad.json", lambda v: shard_of(v)["histograms"].update(response="AAAA"))], "bad.json"),
        ("not a part", [parts[0], parts[1], variant("plain.json", lambda v: v.pop("shard"))], "plain.json"),
    ]
    for what, files, needle in cases:
        r = merge(bin_, files)
        lines = [line for line in r.stderr.splitlines() if line.strip()]
        c.check(r.returncode == 2 and len(lines) == 1 and needle in lines[0],
                f"refusal, {what}: exit {r.returncode}: {lines[0] if lines else ''}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/cargo-ratecheck")
    ap.add_argument("--rps", type=int, default=3000)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--lead", type=float, default=3.0)
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "--bin", "cargo-ratecheck"], check=True)
    work = tempfile.mkdtemp(prefix="ratecheck-shards-")
    c = Checks()
    try:
        gap_single = single(args, work)
        t0, start_at, parts, codes, times = shards(args, work)
        print(f"start {start_at}; shards exited {codes}; nginx saw {len(times)} requests")
        c.check(codes == [0, 0, 0], "every shard exits 0")
        merged_path = os.path.join(work, "merged.json")
        r = merge(args.bin, parts, ["--json", merged_path, "--format", "markdown"])
        c.check(r.returncode == 0, f"merge exits 0 ({r.stderr.strip()})")
        with open(merged_path) as f:
            m = json.load(f)
        ps = []
        for p in parts:
            with open(p) as f:
                ps.append(json.load(f))
        eff = m["efficiency"]
        shard_eff = ", ".join("%.3f%%" % (p["efficiency"] * 100) for p in ps)
        skew = [round(x["start_offset_ms"], 3) for x in m["parts"]]
        c.check(eff >= 0.999, f"merged efficiency {eff * 100:.3f}% >= 99.9% "
                f"(shards {shard_eff}; start skew ms {skew})")
        for key in ["expected", "generated", "completed", "succeeded", "failed", "dropped"]:
            total = sum(p["requests"][key] for p in ps)
            c.check(m["requests"][key] == total, f"merged {key} {m['requests'][key]} = sum of parts {total}")
        counts = per_second(times, t0, args.duration)
        c.check(all(abs(n - args.rps) <= args.rps / 100 for n in counts),
                f"nginx per whole second after the start: {counts} (want {args.rps} +- 1%)")
        gap = median_gap_ms(times)
        c.check(abs(gap - gap_single) <= 0.05 * gap_single,
                f"median gap at nginx: shards {gap:.4f} ms, one process {gap_single:.4f} ms (within 5%)")
        for q in ["p50", "p99"]:
            v = [p["latency_ms"]["response"][q] for p in ps]
            mq = m["latency_ms"]["response"][q]
            c.check(min(v) <= mq <= max(v), f"merged response {q} {mq:.3f} ms within the parts' {v}")
        refusals(c, args.bin, work, parts)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("all checks passed" if c.failed == 0 else f"{c.failed} checks FAILED")
    return 0 if c.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
