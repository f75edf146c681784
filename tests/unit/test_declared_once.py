"""An action is declared once: its operationId stands in its own module and in no other source file."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from gpt_auth.actions.catalog import ACTIONS
from tests.support.paths import ROOT

SOURCES = ("shared", "functions", "localdev")
SUFFIXES = (".py", ".html", ".js")


def test_each_operation_id_is_written_in_its_own_module_only():
    texts = {
        path.relative_to(ROOT).as_posix(): path.read_text(errors="replace")
        for folder in SOURCES
        for path in (ROOT / folder).rglob("*")
        if path.suffix in SUFFIXES and "__pycache__" not in path.parts
    }
    for action in ACTIONS:
        home = sys.modules[action.run.__module__].__file__
        assert home is not None
        named = re.compile(rf"\b{action.operation_id}\b")
        where = sorted(name for name, text in texts.items() if named.search(text))
        assert where == [Path(home).relative_to(ROOT).as_posix()], f"{action.operation_id} stands in {where}"
