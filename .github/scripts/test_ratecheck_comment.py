"""Tests of ratecheck_comment.py against a stand-in for the GitHub REST API.

The stand-in is an `http.server` on 127.0.0.1 holding one repository's pull
requests and issue comments in memory. It answers only requests carrying
the expected token, checks each request's shape (method, path, headers,
a JSON body of exactly `{"body": str}`) and pages comment lists two at a
time with `Link` headers, as GitHub pages them. The script runs as the
workflow runs it: `python3 ratecheck_comment.py …` in a subprocess, with
GITHUB_API_URL pointing at the stand-in.

Run with `python3 -m unittest discover -s .github/scripts` (`cargo xtask
ci` does).
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ratecheck_comment.py")
TOKEN = "test-token-1234"
REPO = "octo/shop"
PR = 7
HEAD = "a" * 40
BOT = "github-actions[bot]"
PAGE = 2

FAILING = """### ❌ ratecheck: FAIL — 1 regressed: cost/instructions_per_request_http

baseline 1a2b3c4d5e6f (main) from origin/main:baselines/default.json vs HEAD 9f8e7d6c5b4a

| figure | baseline | current | change | limit | verdict |
| --- | ---: | ---: | ---: | ---: | --- |
| instructions_per_request_http | 10000 | 10600 | +6.00% | +2.00% | **regressed** |
"""
PAIRED_PASS = """### ✅ ratecheck: PASS

paired with origin/main (commit 0a1b2c3d4e5f) vs HEAD 9f8e7d6c5b4a
"""
PASSING = """### ✅ ratecheck: PASS

baseline 1a2b3c4d5e6f (main) from origin/main:baselines/default.json vs HEAD 9f8e7d6c5b4a
"""


class FakeGitHub:
    """The API's state and every request it was sent."""

    def __init__(self):
        self.lock = threading.Lock()
        self.comments = []  # dicts: id, user.login, body
        self.next_id = 1000
        self.heads = {PR: HEAD}
        self.requests = []  # (method, path, body or None)
        self.problems = []  # requests that were not what the API accepts

    def add_comment(self, login, body):
        with self.lock:
            self.next_id += 1
            self.comments.append({"id": self.next_id, "user": {"login": login}, "body": body})
            return self.next_id

    def ours(self):
        return [c for c in self.comments if c["body"].startswith("<!-- cargo-ratecheck")]


def handler_for(api):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, payload, headers=()):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def problem(self, what):
            api.problems.append(f"{self.command} {self.path}: {what}")
            self.reply(422, {"message": what})

        def handle_any(self):
            body = None
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                body = self.rfile.read(length)
            url = urllib.parse.urlsplit(self.path)
            with api.lock:
                api.requests.append((self.command, url.path, body))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                api.problems.append(f"{self.command} {self.path}: no or wrong token")
                return self.reply(401, {"message": "Bad credentials"})
            if self.headers.get("Accept") != "application/vnd.github+json":
                return self.problem("Accept is not application/vnd.github+json")
            if not self.headers.get("User-Agent"):
                return self.problem("no User-Agent")
            payload = None
            if self.command in ("POST", "PATCH"):
                if self.headers.get("Content-Type") != "application/json":
                    return self.problem("Content-Type is not application/json")
                try:
                    payload = json.loads(body or b"")
                except ValueError:
                    return self.problem("body is not JSON")
                if not (
                    isinstance(payload, dict)
                    and set(payload) == {"body"}
                    and isinstance(payload["body"], str)
                ):
                    return self.problem(f"body is not {{'body': str}}: {payload!r}")
                if len(payload["body"]) > 65536:
                    return self.problem("body is longer than 65536 characters")
            self.route(url, payload)

        def route(self, url, payload):
            query = urllib.parse.parse_qs(url.query)
            base = f"/repos/{REPO}"
            m = re.fullmatch(base + r"/pulls/(\d+)", url.path)
            if self.command == "GET" and m:
                head = api.heads.get(int(m.group(1)))
                if head is None:
                    return self.reply(404, {"message": "Not Found"})
                return self.reply(200, {"number": int(m.group(1)), "head": {"sha": head}})
            m = re.fullmatch(base + r"/issues/(\d+)/comments", url.path)
            if m and int(m.group(1)) != PR:
                return self.reply(404, {"message": "Not Found"})
            if m and self.command == "GET":
                page = int(query.get("page", ["1"])[0])
                per_page = min(int(query.get("per_page", ["30"])[0]), PAGE)
                with api.lock:
                    items = api.comments[(page - 1) * per_page : page * per_page]
                    more = len(api.comments) > page * per_page
                headers = []
                if more:
                    host = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"
                    nxt = f"{host}{url.path}?per_page={per_page}&page={page + 1}"
                    headers.append(("Link", f'<{nxt}>; rel="next"'))
                return self.reply(200, items, headers)
            if m and self.command == "POST":
                cid = api.add_comment(BOT, payload["body"])
                return self.reply(201, {"id": cid, "body": payload["body"]})
            m = re.fullmatch(base + r"/issues/comments/(\d+)", url.path)
            if m and self.command == "PATCH":
                with api.lock:
                    found = [c for c in api.comments if c["id"] == int(m.group(1))]
                    if not found:
                        return self.reply(404, {"message": "Not Found"})
                    if found[0]["user"]["login"] != BOT:
                        return self.reply(403, {"message": "not the bot's comment"})
                    found[0]["body"] = payload["body"]
                return self.reply(200, found[0])
            return self.problem("no such endpoint")

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = handle_any

    return Handler


class CommentTest(unittest.TestCase):
    def setUp(self):
        self.api = FakeGitHub()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self.api))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.tmp.cleanup()

    def artifact(self, number="7\n", **reports):
        """Writes the artifact's files: the number and each report."""
        if number is not None:
            with open(os.path.join(self.dir, "pr-number"), "w") as f:
                f.write(number)
        for name, text in reports.items():
            with open(os.path.join(self.dir, f"{name}.md"), "w", encoding="utf-8") as f:
                f.write(text)

    def run_script(self, *extra, token=TOKEN):
        host, port = self.server.server_address[:2]
        env = dict(os.environ, GITHUB_API_URL=f"http://{host}:{port}", GITHUB_TOKEN=token)
        # A proxy from the environment must not see the loopback requests.
        env.update(no_proxy="127.0.0.1", NO_PROXY="127.0.0.1")
        args = [
            sys.executable,
            SCRIPT,
            "--repo",
            REPO,
            "--dir",
            self.dir,
            "--head-sha",
            HEAD,
            "--run-url",
            "https://github.com/octo/shop/actions/runs/1",
            *extra,
            "baseline.md",
            "against.md",
        ]
        return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)

    def assertClean(self, r, code=0):
        shown = f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
        self.assertEqual(r.returncode, code, shown)
        self.assertEqual(self.api.problems, [], shown)

    def test_first_run_creates_the_comment_second_updates_it(self):
        # Other people's comments come first; ours lands on page 3.
        for i in range(5):
            self.api.add_comment("reviewer", f"comment {i}")
        self.artifact(baseline=FAILING, against=PAIRED_PASS)
        r = self.run_script()
        self.assertClean(r)
        self.assertIn("created comment", r.stdout)
        ours = self.api.ours()
        self.assertEqual(len(ours), 1)
        first = ours[0]["body"]
        self.assertTrue(first.startswith("<!-- cargo-ratecheck: pull-request comment -->\n"))
        self.assertIn("FAIL — 1 regressed", first)
        self.assertIn("**regressed**", first)
        # Both steps' reports, the committed-baseline one first.
        self.assertLess(first.index("FAIL"), first.index("paired with origin/main"))
        self.assertIn("[workflow run](https://github.com/octo/shop/actions/runs/1)", first)
        self.assertIn("aaaaaaaaaaaa", first)
        posts = [q for q in self.api.requests if q[0] == "POST"]
        self.assertEqual([p[1] for p in posts], [f"/repos/{REPO}/issues/{PR}/comments"])

        # A push that fixes it: the same comment, now passing.
        self.artifact(baseline=PASSING, against=PAIRED_PASS)
        r = self.run_script()
        self.assertClean(r)
        self.assertIn(f"updated comment {ours[0]['id']}", r.stdout)
        ours = self.api.ours()
        self.assertEqual(len(ours), 1, "no second comment")
        self.assertEqual(len(self.api.comments), 6)
        second = ours[0]["body"]
        self.assertNotIn("FAIL", second)
        self.assertIn("✅ ratecheck: PASS", second)
        patches = [q[1] for q in self.api.requests if q[0] == "PATCH"]
        self.assertEqual(patches, [f"/repos/{REPO}/issues/comments/{ours[0]['id']}"])
        # The comment list was read to the end of its pages on each run.
        pages = [q for q in self.api.requests if q[0] == "GET" and q[1].endswith("/comments")]
        self.assertEqual(len(pages), 6)

    def test_a_marker_in_someone_elses_comment_is_not_ours(self):
        self.api.add_comment("mallory", "<!-- cargo-ratecheck: pull-request comment -->\nfake")
        self.artifact(baseline=PASSING, against=PAIRED_PASS)
        r = self.run_script()
        self.assertClean(r)
        self.assertIn("created comment", r.stdout)
        self.assertTrue(self.api.comments[0]["body"].endswith("fake"))
        self.assertEqual(len(self.api.ours()), 2)

    def test_a_missing_report_is_named_in_the_comment(self):
        self.artifact(baseline=FAILING)
        r = self.run_script()
        self.assertClean(r)
        body = self.api.ours()[0]["body"]
        self.assertIn("FAIL", body)
        self.assertIn("No `against.md`", body)

    def test_a_report_too_large_for_a_comment_is_cut(self):
        self.artifact(baseline=FAILING + "x" * 200_000, against=PAIRED_PASS)
        r = self.run_script()
        self.assertClean(r)
        body = self.api.ours()[0]["body"]
        self.assertLessEqual(len(body), 65536)
        self.assertIn("cut to fit a comment", body)
        self.assertTrue(body.rstrip().endswith("</sub>"))

    def test_a_number_that_is_not_one_posts_nothing(self):
        for bad in ["7; curl evil", "$(id)", "0", "-7", "7.0", "1e3", "", "७"]:
            with self.subTest(number=bad):
                self.artifact(number=bad, baseline=PASSING)
                r = self.run_script()
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn("not a pull-request number", r.stderr)
                self.assertEqual(self.api.requests, [], "nothing sent")
        os.remove(os.path.join(self.dir, "pr-number"))
        r = self.run_script()
        self.assertEqual(r.returncode, 2)
        self.assertIn("pr-number does not exist", r.stderr)

    def test_a_linked_number_file_is_not_followed(self):
        secret = os.path.join(self.dir, "secret")
        with open(secret, "w") as f:
            f.write("7\n")
        os.symlink(secret, os.path.join(self.dir, "pr-number"))
        r = self.run_script()
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(self.api.requests, [])

    def test_a_number_whose_head_is_not_the_measured_commit_is_skipped(self):
        self.api.heads[8] = "b" * 40  # another pull request, or a newer push
        self.artifact(number="8", baseline=PASSING)
        r = self.run_script()
        self.assertClean(r)
        self.assertIn("skipped", r.stdout)
        self.assertEqual([q[0] for q in self.api.requests], ["GET"])
        self.assertEqual(self.api.comments, [])

    def test_a_refused_token_is_exit_2_with_the_api_message(self):
        self.artifact(baseline=PASSING)
        r = self.run_script(token="wrong")
        self.assertEqual(r.returncode, 2)
        self.assertIn("HTTP 401: Bad credentials", r.stderr)
        self.assertEqual(len(self.api.requests), 1)
        self.assertEqual(self.api.comments, [])


if __name__ == "__main__":
    unittest.main()
