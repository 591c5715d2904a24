"""The Makefile has a rule for every `make` target the README tells a user to run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_make_target_in_the_readme_has_a_rule() -> None:
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", readme))
    makefile = (ROOT / "Makefile").read_text()
    rules = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    assert {"demo", "test", "docs", "bench-examples"} <= named  # the walk finds them
    assert named <= rules, f"README names make targets without a rule: {sorted(named - rules)}"
