"""Reading numbers off admin pages: the elements marked ``data-figure``, within a row."""

from __future__ import annotations

import re


def figures(html: str) -> dict[str, str]:
    """Each ``data-figure`` name with its element's text (the last one, if repeated)."""
    found = re.findall(r'data-figure="([^"]+)"[^>]*>([^<]*)<', html)
    return {name: value.strip() for name, value in found}


def within(html: str, attribute: str, value: str, tag: str = "tr") -> str:
    """The inside of the first ``tag`` whose ``attribute`` is ``value``."""
    found = re.search(
        rf'<{tag}\b[^>]*\b{attribute}="{re.escape(value)}"[^>]*>(.*?)</{tag}>', html, re.DOTALL
    )
    assert found, f'no <{tag} {attribute}="{value}">'
    return found.group(1)


def cells(row: str) -> list[str]:
    """The text of a row's cells, tags left out."""
    found = re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", row, re.DOTALL)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]
