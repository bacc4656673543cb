"""The plain-text part of an email, from its HTML: text kept, links as "text (url)"."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "br", "tr", "table", "h1", "h2", "h3", "h4", "li", "ul", "ol", "hr"}
_SKIPPED = {"head", "style", "script", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.hidden: tuple[str, int] | None = None  # tag with display:none, nesting depth
        self.link: tuple[str, int] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        style = (attributes.get("style") or "").replace(" ", "").lower()
        if self.hidden:
            if tag == self.hidden[0]:
                self.hidden = (tag, self.hidden[1] + 1)
            return
        if tag in _SKIPPED:
            self.skip += 1
        elif "display:none" in style:
            self.hidden = (tag, 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "img" and self.link and attributes.get("alt"):
            self.parts.append(f" {attributes['alt']} ")
        if tag == "a" and attributes.get("href"):
            self.link = (attributes["href"] or "", len(self.parts))

    def handle_endtag(self, tag: str) -> None:
        if self.hidden:
            if tag == self.hidden[0]:
                depth = self.hidden[1] - 1
                self.hidden = (tag, depth) if depth else None
            return
        if tag in _SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self.link:
            href, start = self.link
            label = " ".join("".join(self.parts[start:]).split())
            self.parts[start:] = [href if label in ("", href) else f"{label} ({href})"]
            self.link = None

    def handle_data(self, data: str) -> None:
        if not self.skip and not self.hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The plain-text part of an email: its visible text, links kept as `text (url)`."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return tidy_text(unescape("".join(parser.parts)))


def tidy_text(text: str) -> str:
    """One space between words, at most one blank line between paragraphs."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
