"""Retention emails: MJML templates with Jinja2 placeholders, compiled once, rendered per message.

Conventions for template authors:
- The subject is the text of `<mj-title>`; it may hold placeholders (`{{ shop.name }}: ...`).
- Block tags between sections go in `<mj-raw>` (`<mj-raw>{% for item in items %}</mj-raw>`).
- A missing variable is an error (StrictUndefined), so a preview with sample data shows a typo
  at once instead of sending "Hi ," to every customer.
- `mj-include`, `{% include %}`, `{% import %}` and `{% extends %}` are refused: a template is
  one self-contained document and reads no files.
How a template is kept from reaching Python or running away: ``retention.sandbox``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mrml

from retention.plaintext import html_to_text, tidy_text
from retention.sandbox import (
    MAX_SOURCE,
    TemplateError,
    TemplateLimitExceeded,
    parse_template,
    render_source,
    work_budget,
)

__all__ = [
    "CompiledTemplate",
    "RenderedEmail",
    "TemplateError",
    "TemplateLimitExceeded",
    "compile_template",
    "html_to_text",
    "render",
]


@dataclass(frozen=True)
class CompiledTemplate:
    html: str
    subject: str | None


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


_JINJA_TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TOKEN_RE = re.compile(r"jjtok\d{5}x")
_INCLUDE_RE = re.compile(r"<\s*mj-include\b", re.I)


def compile_template(mjml: str) -> CompiledTemplate:
    """Compile MJML with Jinja2 placeholders to HTML, checking it can be rendered safely."""
    if len(mjml) > MAX_SOURCE:
        raise TemplateError(f"template is longer than {MAX_SOURCE} characters")
    include = _INCLUDE_RE.search(mjml)
    if include:
        line = mjml.count("\n", 0, include.start()) + 1
        raise TemplateError("mj-include is not allowed: a template cannot read files", line=line)
    parse_template(mjml)  # Jinja sees MJML as text, so errors carry the lines the author wrote
    protected, table = _protect_placeholders(mjml)
    try:
        output = mrml.to_html(protected, mrml.ParserOptions(include_loader=mrml.noop_loader()))
    except OSError as e:
        raise TemplateError(f"invalid MJML: {e}") from e
    html = _restore_placeholders(output.content, table)
    subject = _restore_placeholders(output.title, table, partial=True) if output.title else None
    parse_template(html)
    if subject is not None:
        parse_template(subject)
    return CompiledTemplate(html=html, subject=subject)


def _protect_placeholders(source: str) -> tuple[str, dict[str, str]]:
    """Swap each Jinja tag for an inert token, as the CSS inliner escapes `<`, `>` and `&`."""
    if _TOKEN_RE.search(source):
        raise TemplateError("template contains a reserved word of the form jjtok00000x")
    table: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        token = f"jjtok{len(table):05d}x"
        table[token] = match.group(0)
        return token

    return _JINJA_TAG_RE.sub(swap, source), table


def _restore_placeholders(compiled: str, table: dict[str, str], *, partial: bool = False) -> str:
    """Put the Jinja tags back; raise if the compiler dropped one (unless `partial`)."""
    seen: set[str] = set()

    def unswap(match: re.Match[str]) -> str:
        seen.add(match.group(0))
        return table[match.group(0)]

    block_tokens = [t for t in table if table[t].startswith("{%")]
    found = [t for t in _TOKEN_RE.findall(compiled) if t in block_tokens]
    if not partial and found != block_tokens:
        raise TemplateError(
            "the MJML compiler moved a {% %} tag: put tags that wrap elements in <mj-raw> "
            "around whole sections, not inside a column"
        )
    restored = _TOKEN_RE.sub(unswap, compiled)
    if not partial and set(table) - seen:
        lost = ", ".join(table[t] for t in sorted(set(table) - seen)[:3])
        raise TemplateError(f"placeholders outside any MJML element were dropped: {lost}")
    return restored


def render(compiled: CompiledTemplate, context: Mapping[str, Any]) -> RenderedEmail:
    """Render a compiled template for one message: subject, HTML and its plain-text part."""
    with work_budget():
        html = render_source(compiled.html, context, html=True)
        text = render_source(text_template(compiled.html), context, html=False)
        subject = render_source(compiled.subject, context, html=False) if compiled.subject else ""
    return RenderedEmail(subject=" ".join(subject.split()), html=html, text=tidy_text(text))


@lru_cache(maxsize=256)
def text_template(html: str) -> str:
    """The plain-text part as a template of its own, extracted once from the compiled HTML.

    Extracting text from every rendered message costs more than rendering it; the
    placeholders pass through the extraction as text, so it is done once per version.
    """
    return html_to_text(html)
