"""The cluster run's visitors, driven by Locust (``FastHttpUser``) in a process of its own.

Run by :mod:`bench.cluster` (never imported by it: Locust patches the standard library
with gevent when imported)::

    python -m bench.cluster_load --host http://127.0.0.1:PORT --seconds 300 --out DIR \
        --references REF1,REF2 --min-fill 2

Three kinds of visitor, each recording every request (wall-clock start and end, what was
asked, the status, a connection error, and for any 5xx whether it was the site's
technical-problem page) in ``DIR/requests.jsonl``:

- readers: the home page, the log, searches, responses and the feeds;
- consent changers: the cookies page, a choice saved, the page read back (the choice
  must show whichever instance answers);
- feedback senders, as a person: open the form, wait longer than the minimum fill time,
  send it. On the technical-problem page they check their answers are still in the form
  and send it again; on the load balancer's error page they go back (their answers are
  still in the browser's form) and send it again. Every submission the site answered
  with its thank-you redirect goes into ``DIR/acknowledged.json``: its unique text.
"""

from __future__ import annotations

# Locust's import patches the standard library with gevent: it comes first.
from locust import FastHttpUser, between, events, task  # isort: skip

import argparse
import json
import random
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import gevent
from locust.env import Environment

TECHNICAL_PROBLEM = "Sorry, there was a technical problem. Please try again."
SEARCHES = ["dog", "hovercraft", "cost", "fuel", "horses", "drone", "police"]
FEEDS = ["/foi.atom", "/foi.json", "/foi.csv"]
MAX_SENDS = 6  # a person gives up after this many tries
LETTERS_FOR_DIGITS = str.maketrans("0123456789", "ghijklmnop")

REQUESTS: list[dict] = []
ACKNOWLEDGED: list[str] = []
GAVE_UP: list[str] = []
PROBLEMS: list[str] = []


class PageReader(HTMLParser):
    """What the checks need from a page: h1, paragraphs, the form's hidden fields,
    the ticked radios, textarea text and error-summary text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.h1 = ""
        self.paragraphs: list[str] = []
        self.hidden: dict[str, str] = {}
        self.checked: dict[str, str] = {}
        self.textareas: dict[str, str] = {}
        self.alerts = ""
        self._in: list[str] = []
        self._textarea: str | None = None
        self._paragraph: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.hidden[attributes["name"]] = attributes.get("value") or ""
        if tag == "input" and attributes.get("type") == "radio" and "checked" in attributes:
            self.checked[attributes.get("name", "")] = attributes.get("value") or ""
        if tag == "textarea":
            self._textarea = attributes.get("name", "")
            self.textareas[self._textarea] = ""
        if tag == "p" and "main" in self._in:  # the page's own text, not the cookie banner's
            self._paragraph = []
        self._in.append(tag)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        if tag == "p" and self._paragraph is not None:
            self.paragraphs.append(" ".join("".join(self._paragraph).split()))
            self._paragraph = None
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._textarea is not None:
            self.textareas[self._textarea] += data
        if "h1" in self._in:
            self.h1 += data
        if self._paragraph is not None:
            self._paragraph.append(data)
        self.alerts += data

    @classmethod
    def read(cls, html: str) -> PageReader:
        reader = cls()
        reader.feed(html or "")
        reader.h1 = " ".join(reader.h1.split())
        return reader

    def says_technical_problem(self) -> bool:
        """The technical-problem sentence: the error page's heading and first paragraph, or the
        feedback form's problem message."""
        if self.h1 and self.paragraphs and f"{self.h1}. {self.paragraphs[0]}" == TECHNICAL_PROBLEM:
            return True
        return TECHNICAL_PROBLEM in " ".join(self.alerts.split())


class Visitor(FastHttpUser):
    abstract = True
    network_timeout = 30.0
    connection_timeout = 10.0
    max_retries = 0
    kind = "visitor"

    def fetch(self, method: str, path: str, name: str | None = None, **kwargs):
        """One request, recorded. Returns (status, body text, headers); status 0 is a
        connection error."""
        began = time.time()
        with self.client.request(method, path, name=name or path.split("?")[0], catch_response=True,
                                 **kwargs) as response:
            status = response.status_code or 0
            # Locust's exception for any non-2xx; a real failure only when nothing came back.
            error = None if status else (response.request_meta.get("exception") or "no answer")
            text = ""
            try:
                text = response.text or "" if status else ""
            except Exception:  # noqa: BLE001 - a body that did not arrive
                error = error or "body not received"
            record = {
                "kind": self.kind, "method": method, "path": path.split("?")[0], "start": began,
                "end": time.time(), "status": status, "error": type(error).__name__ if error else "",
                "ms": (time.time() - began) * 1000,
            }
            if status >= 500:
                page = PageReader.read(text)
                record["technical_problem_page"] = page.says_technical_problem()
                record["page"] = f"{page.h1} | {(page.paragraphs or [''])[0]}"[:120]
                record["server"] = (response.headers or {}).get("Content-Type", "")
            REQUESTS.append(record)
            # Failures are judged afterwards against the fault windows, not here.
            response.success()
            headers = response.headers or {}
        return status, text, headers, record


class Reader(Visitor):
    weight = 6
    wait_time = between(0.05, 0.4)
    kind = "reader"
    references: list[str] = []

    @task(3)
    def home(self):
        self.fetch("GET", "/")

    @task(3)
    def log(self):
        self.fetch("GET", "/foi")

    @task(4)
    def search(self):
        self.fetch("GET", f"/foi?q={random.choice(SEARCHES)}", name="/foi?q=")

    @task(5)
    def response(self):
        self.fetch("GET", f"/foi/{random.choice(self.references)}", name="/foi/<reference>")

    @task(2)
    def feed(self):
        self.fetch("GET", random.choice(FEEDS))


class ConsentChanger(Visitor):
    weight = 2
    wait_time = between(0.5, 1.5)
    kind = "consent"

    @task
    def change_consent(self):
        status, _, _, _ = self.fetch("GET", "/cookies")
        if status != 200:
            return
        choice = {"functional": random.choice(["yes", "no"]), "analytics": random.choice(["yes", "no"])}
        status, _, _, _ = self.fetch("POST", "/cookies", data=choice, allow_redirects=False,
                                     headers={"Sec-Fetch-Site": "same-origin"})
        if status != 303:
            return
        status, text, _, _ = self.fetch("GET", "/cookies", name="/cookies (read back)")
        if status == 200:
            shown = PageReader.read(text).checked
            if shown.get("analytics") != choice["analytics"] or shown.get("functional") != choice["functional"]:
                PROBLEMS.append(f"consent saved as {choice} was shown as {shown}")


class FeedbackSender(Visitor):
    weight = 4
    wait_time = between(0.5, 2.0)
    kind = "feedback"
    min_fill = 2.0

    @task
    def send_feedback(self):
        status, text, _, _ = self.fetch("GET", "/feedback?from=/foi", name="/feedback")
        if status != 200:
            return
        form = PageReader.read(text).hidden
        if "form_token" not in form:
            PROBLEMS.append("the feedback form had no form token")
            return
        # Letters only: the store redacts digit runs that look like phone numbers.
        mark = "cluster-" + uuid.uuid4().hex.translate(LETTERS_FOR_DIGITS)
        answers = {"rating": str(random.randint(1, 5)), "improvement": f"Sent by {mark}"}
        gevent.sleep(self.min_fill + random.uniform(0.5, 1.5))  # reading and choosing, as a person

        for _attempt in range(MAX_SENDS):
            status, text, headers, record = self.fetch(
                "POST", "/feedback", data={**form, **answers}, allow_redirects=False,
                headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"},
            )
            record["mark"] = mark
            if status == 303 and "/feedback/thank-you" in (headers.get("Location") or headers.get("location") or ""):
                ACKNOWLEDGED.append(mark)
                self.fetch("GET", "/feedback/thank-you?from=/foi", name="/feedback/thank-you")
                return
            if status == 503:
                page = PageReader.read(text)
                kept = (page.textareas.get("improvement", "").strip() == answers["improvement"]
                        and page.checked.get("rating") == answers["rating"])
                record["answers_kept"] = kept
                if page.hidden.get("form_token"):
                    # The site's own form, shown again with the answers: send it again.
                    if page.hidden["form_token"] != form["form_token"]:
                        PROBLEMS.append(f"{mark}: the form came back with another one-time id")
                    form = page.hidden
            elif status == 200:
                page = PageReader.read(text)
                PROBLEMS.append(f"{mark}: form shown again: {page.h1!r} {' '.join(page.alerts.split())[:160]!r}")
                form = page.hidden or form
            elif status == 429:
                PROBLEMS.append(f"{mark}: rate limited")
                return
            # Anything else (the load balancer's page, a connection error): go back, send again.
            gevent.sleep(random.uniform(1.0, 2.0))
        GAVE_UP.append(mark)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", required=True)
    parser.add_argument("--seconds", type=float, required=True,
                        help="the longest the run may last; it ends sooner when the file DIR/stop appears")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--references", required=True, help="comma-separated response references")
    parser.add_argument("--min-fill", type=float, default=2.0, help="FEEDBACK_MIN_FILL_SECONDS of the site")
    parser.add_argument("--readers", type=int, default=6)
    parser.add_argument("--consent", type=int, default=2)
    parser.add_argument("--feedback", type=int, default=5)
    args = parser.parse_args(argv)

    Reader.references = args.references.split(",")
    FeedbackSender.min_fill = args.min_fill
    Reader.fixed_count, ConsentChanger.fixed_count, FeedbackSender.fixed_count = (
        args.readers, args.consent, args.feedback)
    users = args.readers + args.consent + args.feedback

    # stop_timeout: at the end each visitor finishes what it is doing (a feedback sender
    # hears the answer to the form it sent) instead of being cut off mid-request.
    environment = Environment(user_classes=[Reader, ConsentChanger, FeedbackSender], host=args.host,
                              events=events, stop_timeout=60)
    runner = environment.create_local_runner()
    runner.start(users, spawn_rate=users)
    (args.out / "started").write_text(str(time.time()))
    gevent.spawn_later(args.seconds, runner.quit)

    def stop_when_asked():
        while not (args.out / "stop").exists():
            gevent.sleep(0.2)
        runner.quit()

    gevent.spawn(stop_when_asked)
    runner.greenlet.join()
    with open(args.out / "requests.jsonl", "w", encoding="utf-8") as handle:
        for record in REQUESTS:
            handle.write(json.dumps(record) + "\n")
    (args.out / "acknowledged.json").write_text(json.dumps(
        {"acknowledged": ACKNOWLEDGED, "gave_up": GAVE_UP, "problems": PROBLEMS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
