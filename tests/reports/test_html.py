from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

from forecaster.reports.html import document, image, table
from forecaster.reports.plots import figure_png, new_figure


def test_page_is_self_contained_and_images_decode(tmp_path: Path) -> None:
    figure, axes = new_figure("Loss by epoch", "epoch", "loss")
    axes.plot([1, 2, 3], [3.0, 2.0, 1.5])
    png = figure_png(figure, tmp_path / "loss.png")
    page = document(
        "Report", [("Training", image(png, "loss")), ("Scores", table(["a", "b"], [["x", 1.5]]))]
    )

    assert (tmp_path / "loss.png").read_bytes() == png and png.startswith(b"\x89PNG")
    HTMLParser().feed(page)  # parses
    sources = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert [base64.b64decode(source) for source in sources] == [png]
    assert "http" not in page  # nothing to fetch
    assert "<td>1.5000</td>" in page
