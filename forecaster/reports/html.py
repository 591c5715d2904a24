"""Self-contained HTML pages: figures embedded as PNG data URIs.

A report opens from a file with no server and no internet. This module holds the page
building blocks; what goes on a page is decided by the page's own module.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from typing import Any

_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.8em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; } th { background: #f3f3f3; }
img { max-width: 100%; height: auto; margin: 0.5em 0; }
.note { color: #555; font-size: 0.92em; } pre { background: #f6f6f6; padding: 0.8em;
        overflow-x: auto; font-size: 0.85em; }
"""


def image(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 4) -> str:
    def cell(value: Any) -> str:
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return "n/a"
        if isinstance(value, float):
            return f"{value:.{digits}f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(value)}</td>" for value in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def preformatted(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def paragraph(text: str, note: bool = False) -> str:
    css = ' class="note"' if note else ""
    return f"<p{css}>{html.escape(text)}</p>"


def document(title: str, sections: Sequence[tuple[str, str]], subtitle: str = "") -> str:
    """A whole HTML page; ``sections`` are (heading, inner HTML) pairs."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if subtitle:
        parts.append(paragraph(subtitle, note=True))
    for heading, body in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>{body}")
    parts.append("</body></html>")
    return "\n".join(parts)
