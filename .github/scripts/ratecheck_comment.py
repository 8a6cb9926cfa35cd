#!/usr/bin/env python3
"""Posts cargo-ratecheck's Markdown reports as one pull-request comment.

Run by the `ratecheck-comment` workflow (on `workflow_run`, with a token
that may write pull-request comments) after the `ratecheck` workflow has
measured a pull request with read-only permissions and uploaded its reports
and the pull request's number as an artifact. Everything in that artifact
was written by the pull request's code, so it is data: the number must be a
plain decimal integer and name a pull request whose head is the
commit that was measured (`--head-sha`, from the event, not from the
artifact); the reports are read as text (regular files only, size-capped)
and never run, and nothing read from the artifact reaches a shell.

The comment opens with a hidden marker. The first run creates it; later
runs find it among the pull request's comments (every page) by the marker
and by its author, and edit it in place, so a pull request has one comment
however often it is pushed.

Python 3 standard library only. Exit 0: posted, updated, or skipped (the
pull request moved on, or is not this commit's); 2: bad input or the API
refused, with one line saying what.
"""

import argparse
import json
import os
import re
import stat
import sys
import urllib.error
import urllib.parse
import urllib.request

MARKER = "<!-- cargo-ratecheck: pull-request comment -->"
# GitHub refuses comment bodies over 65536 characters.
MAX_BODY = 65536
# A report larger than this is cut when read: it could not be posted whole.
MAX_REPORT_BYTES = 1 << 20
PR_NUMBER_FILE = "pr-number"
TIMEOUT_S = 30
# Each page of comments asks for 100 (GitHub's maximum); the loop stops
# after this many pages however many links the API returns.
MAX_PAGES = 100


class Failure(Exception):
    """A one-line reason to stop with exit 2."""


def read_untrusted(path, limit):
    """At most `limit` bytes of the regular file `path` (never a link,
    device or directory), as text; None when it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return None
    except OSError as e:
        raise Failure(f"cannot open {path}: {e.strerror} (only regular files are read)")
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise Failure(f"{path} is not a regular file; nothing posted")
        data = f.read(limit + 1)
    text = data[:limit].decode("utf-8", errors="replace")
    if len(data) > limit:
        text += "\n\n*… cut: the report is larger than a comment can hold.*\n"
    return text


def pr_number(directory):
    """The pull request's number from the artifact, checked to be one."""
    path = os.path.join(directory, PR_NUMBER_FILE)
    raw = read_untrusted(path, 32)
    if raw is None:
        raise Failure(f"{path} does not exist: the measuring workflow uploads it; nothing posted")
    text = raw.strip()
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        raise Failure(
            f"{path} holds {text[:40]!r}, not a pull-request number; nothing posted"
        )
    return int(text)


def comment_body(directory, reports, head_sha, run_url):
    """The comment: the marker, each report in order (or a line saying it
    is missing), and where it came from; at most MAX_BODY characters."""
    parts = []
    for name in reports:
        text = read_untrusted(os.path.join(directory, name), MAX_REPORT_BYTES)
        if text is None or not text.strip():
            text = (
                f"*No `{name}`: that step did not finish a report "
                "(it could not judge, or did not run); its log says why.*\n"
            )
        parts.append(text.strip("\n") + "\n")
    footer = f"\n<sub>cargo-ratecheck on {head_sha[:12]}"
    if run_url:
        footer += f" · [workflow run]({run_url})"
    footer += " · this comment is updated on every push</sub>\n"
    head = MARKER + "\n"
    body = head + "\n---\n\n".join(parts) + footer
    if len(body) > MAX_BODY:
        cut = "\n\n*… cut to fit a comment; the run's step summary has it all.*\n"
        room = MAX_BODY - len(head) - len(footer) - len(cut)
        body = head + body[len(head) : len(head) + room] + cut + footer
    return body


class Api:
    """The few GitHub REST calls needed, with the token."""

    def __init__(self, base_url, token):
        self.base = base_url.rstrip("/")
        self.token = token

    def call(self, method, url, payload=None):
        """(parsed JSON, response headers) of one request to `url`."""
        if not url.startswith(self.base + "/"):
            raise Failure(f"refusing to send the token outside {self.base}: {url}")
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Accept", "application/vnd.github+json")
        req.add_header("X-GitHub-Api-Version", "2022-11-28")
        req.add_header("User-Agent", "cargo-ratecheck-comment")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
                return json.load(resp), resp.headers
        except urllib.error.HTTPError as e:
            detail = e.read(2000).decode("utf-8", errors="replace")
            try:
                detail = json.loads(detail).get("message", detail)
            except (ValueError, AttributeError):
                pass
            raise Failure(f"{method} {url}: HTTP {e.code}: {detail}".strip())
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise Failure(f"{method} {url}: {e}")

    def url(self, path, **query):
        q = f"?{urllib.parse.urlencode(query)}" if query else ""
        return f"{self.base}{path}{q}"

    def pages(self, url):
        """Every item of a paginated list, following `Link: rel="next"`."""
        for _ in range(MAX_PAGES):
            items, headers = self.call("GET", url)
            if not isinstance(items, list):
                raise Failure(f"GET {url}: expected a list")
            yield from items
            url = next_link(headers.get("Link", ""))
            if url is None:
                return
        raise Failure(f"more than {MAX_PAGES} pages of comments")


def next_link(header):
    """The `rel="next"` URL of a Link header, or None."""
    for part in header.split(","):
        m = re.fullmatch(r'\s*<([^>]*)>\s*;\s*rel="next"\s*', part)
        if m:
            return m.group(1)
    return None


def post(args, token, api_url):
    """Creates or updates the comment; returns what was done, in words."""
    number = pr_number(args.dir)
    if not re.fullmatch(r"[0-9a-f]{40}", args.head_sha):
        raise Failure(f"--head-sha {args.head_sha!r} is not a commit id")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", args.repo):
        raise Failure(f"--repo {args.repo!r} is not OWNER/NAME")
    api = Api(api_url, token)
    repo = f"/repos/{args.repo}"
    pull, _ = api.call("GET", api.url(f"{repo}/pulls/{number}"))
    head = (pull.get("head") or {}).get("sha")
    if head != args.head_sha:
        return (
            f"skipped: pull request #{number}'s head is {str(head)[:12]}, not the "
            f"measured commit {args.head_sha[:12]} (a newer push, or another pull request)"
        )
    body = comment_body(args.dir, args.reports, args.head_sha, args.run_url)
    comments = api.pages(api.url(f"{repo}/issues/{number}/comments", per_page=100))
    ours = next(
        (
            c
            for c in comments
            if (c.get("user") or {}).get("login") == args.author
            and str(c.get("body", "")).startswith(MARKER)
        ),
        None,
    )
    if ours is None:
        made, _ = api.call("POST", api.url(f"{repo}/issues/{number}/comments"), {"body": body})
        return f"created comment {made.get('id')} on pull request #{number}"
    comment_id = ours.get("id")
    if not isinstance(comment_id, int):
        raise Failure(f"comment without a numeric id: {comment_id!r}")
    api.call("PATCH", api.url(f"{repo}/issues/comments/{comment_id}"), {"body": body})
    return f"updated comment {comment_id} on pull request #{number}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repo", required=True, help="OWNER/NAME (github.repository)")
    p.add_argument("--dir", required=True, help="the downloaded artifact's directory")
    p.add_argument(
        "--head-sha",
        required=True,
        help="the commit the reports measured (github.event.workflow_run.head_sha)",
    )
    p.add_argument("--run-url", default="", help="the measuring run's page, linked")
    p.add_argument(
        "--author",
        default="github-actions[bot]",
        help="the login the token posts as (default: github-actions[bot])",
    )
    p.add_argument("reports", nargs="+", help="report files in --dir, in the comment's order")
    args = p.parse_args(argv)
    for name in args.reports:
        if os.path.basename(name) != name or name in ("", ".", ".."):
            p.error(f"report {name!r}: give a file name inside --dir")
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        print("ratecheck-comment: GITHUB_TOKEN is not set; pass the workflow's token", file=sys.stderr)
        return 2
    api_url = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    try:
        print(f"ratecheck-comment: {post(args, token, api_url)}")
    except Failure as e:
        print(f"ratecheck-comment: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
