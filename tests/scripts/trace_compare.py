#!/usr/bin/env python3
"""trace_compare.py - does an HTML trace page show every row of a text trace?

    python3 trace_compare.py TEXT HTML

TEXT is what `schedtool trace FILE` printed, HTML what `schedtool trace
--html FILE` printed for the same input.  Checks, event by event, that the
page's table rows are the text's rows (sequence number, thread column, cell
text) in the same order; that the page's verdict is the text's verdict
line; that it loads nothing from outside (no scripts, links, images, remote
URLs); and, when the verdict failed, that the verdict row is marked and
linked.  Prints nothing and exits 0 when all hold, else one line per
problem and exits 1.  Used by tests/scripts/trace_html.sh.
"""
import html.parser
import re
import sys


def text_rows(text):
    """(seq, thread, cell) of every table row of the text printout."""
    lines = text.split("\n")
    rule = next(i for i, l in enumerate(lines) if l.startswith("------"))
    rows = []
    for line in lines[rule + 1:]:
        if not line or line.startswith("==== verdict:"):
            continue
        parts = line.split(" | ")
        # Blank columns before the cell are 34 spaces each.
        rows.append((parts[0].strip(), len(parts) - 2, parts[-1]))
    return rows


def text_verdict(text):
    m = re.search(r"^==== verdict: (.*) ====$", text, re.M)
    return m.group(1) if m else None


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows, self.in_body, self.row, self.cell = [], False, None, None
        self.verdict, self.in_verdict, self.tags = "", False, set()
        self.marked_verdict, self.links = False, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        cls = a.get("class") or ""
        if tag == "tbody":
            self.in_body = True
        elif tag == "div" and "verdict" in cls.split():
            self.in_verdict = True
        elif tag == "a" and a.get("href") == "#fail":
            self.links = True
        elif tag == "tr" and self.in_body:
            self.row = {"seq": "", "cols": [], "ev": None}
            if "verdict-row" in cls.split() and a.get("id") == "fail":
                self.marked_verdict = True
        elif tag == "td" and self.row is not None:
            self.cell = {"classes": cls.split(), "text": ""}

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            if "seq" in self.cell["classes"]:
                self.row["seq"] = self.cell["text"]
            else:
                if "ev" in self.cell["classes"]:
                    self.row["ev"] = (len(self.row["cols"]), self.cell["text"])
                self.row["cols"].append(self.cell["text"])
            self.cell = None
        elif tag == "tr" and self.row is not None:
            tid, cell = self.row["ev"] if self.row["ev"] else (-1, "")
            self.rows.append((self.row["seq"], tid, cell))
            self.row = None
        elif tag == "div":
            self.in_verdict = False
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell["text"] += data
        elif self.in_verdict:
            self.verdict += data


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: trace_compare.py TEXT HTML\n")
        return 2
    text = open(argv[1], encoding="utf-8").read()
    page_src = open(argv[2], encoding="utf-8").read()
    page = Page()
    page.feed(page_src)
    problems = []
    want, got = text_rows(text), page.rows
    if len(want) != len(got):
        problems.append("%d rows in the text, %d in the page" % (len(want), len(got)))
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            problems.append("row %d: text %r, page %r" % (i, w, g))
            break
    verdict = text_verdict(text)
    if verdict is None or not page.verdict.startswith("verdict: " + verdict):
        problems.append("verdict: text %r, page %r" % (verdict, page.verdict))
    failed = verdict is not None and not verdict.startswith("ok")
    if failed and not (page.marked_verdict and page.links):
        problems.append("a failed verdict, but no verdict row marked id=fail and linked from the top")
    for bad in ("script", "link", "img", "iframe", "object", "embed"):
        if bad in page.tags:
            problems.append("the page has a <%s> element" % bad)
    if re.search(r"https?:|@import|url\(|src=", page_src):
        problems.append("the page refers to something outside itself")
    if not page_src.lstrip().startswith("<!DOCTYPE html>"):
        problems.append("not an HTML document")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
