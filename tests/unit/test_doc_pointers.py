"""Pointers from code, messages and config into the docs name a file and section that exist."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from gpt_auth.runtime import settings
from gpt_auth.runtime.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {
    ".git",
    ".venv",
    ".venv-sam",
    ".aws-sam",
    "node_modules",
    "test-output",
    "docs",
    "__pycache__",
}
TEXT_SUFFIXES = {".py", ".md", ".html", ".js", ".yaml", ".toml", ".example", ".json", ""}
# `docs/reference.md, 'Settings'` or `docs/reference.md, "Settings"`: a file and one of its headings.
SECTION_POINTER = re.compile(r"""(docs/[\w-]+\.md|README(?:\.md)?),? ['"]([^'"]+)['"]""")
BARE_README = re.compile(r"see README\b(?!\.md\b)")


def headings(doc: Path) -> set[str]:
    return {line.lstrip("#").strip() for line in doc.read_text().splitlines() if line.startswith("#")}


def repo_text_files() -> list[Path]:
    """The project's own text files outside docs/ (this file, which spells the patterns, left out)."""
    files = []
    for directory, subdirs, names in os.walk(ROOT):
        subdirs[:] = [name for name in subdirs if name not in SKIPPED_DIRS]
        for name in names:
            path = Path(directory, name)
            if path.suffix in TEXT_SUFFIXES and path != Path(__file__).resolve():
                files.append(path)
    return files


def section_pointers() -> list[tuple[str, str, str]]:
    found = []
    for path in repo_text_files():
        for match in SECTION_POINTER.finditer(path.read_text(errors="replace")):
            found.append((str(path.relative_to(ROOT)), match.group(1), match.group(2)))
    return found


def test_the_scan_finds_the_pointers_it_checks():
    # the guard below must not pass for want of anything to check
    assert ("shared/gpt_auth/runtime/settings.py", "docs/reference.md", "Settings") in section_pointers()


@pytest.mark.parametrize(("source", "doc", "section"), section_pointers())
def test_each_section_pointer_names_a_heading_of_its_document(source, doc, section):
    target = ROOT / doc
    assert target.is_file(), f"{source} points at {doc}, which does not exist"
    assert section in headings(target), f"{source} points at {doc}, '{section}': no such heading"


def test_nothing_sends_the_reader_to_the_readme_without_saying_where():
    vague = [
        str(p.relative_to(ROOT))
        for p in repo_text_files()
        if BARE_README.search(p.read_text(errors="replace"))
    ]
    assert vague == []


def test_a_missing_setting_points_at_the_settings_table(app_settings):
    env = {name: value for name, value in app_settings.items() if name != "GPT_CLIENT_SECRET"}
    with pytest.raises(ConfigError, match=r"GPT_CLIENT_SECRET is not set.*docs/reference\.md, 'Settings'"):
        settings.load_settings(env)
    assert "Settings" in headings(ROOT / "docs" / "reference.md")
