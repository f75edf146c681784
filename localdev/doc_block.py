"""The one writer of tool-made tables in the docs: a tool owns a block between its markers.

``make bench`` owns ``<!-- bench:begin -->`` ... ``<!-- bench:end -->`` in docs/performance.md
and ``make loadtest`` owns ``<!-- loadtest:begin -->`` ... ``<!-- loadtest:end -->``; each run
replaces only its own block, so hand-written text around it (and the other tool's block) stays.
"""

from __future__ import annotations

from pathlib import Path


def markers(name: str) -> tuple[str, str]:
    """The begin and end markers of the block a tool called ``name`` owns.

    Parameters
    ----------
    name
        The tool's block name, e.g. ``"bench"``.

    Returns
    -------
    tuple[str, str]
        ``<!-- name:begin -->`` and ``<!-- name:end -->``.
    """
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def write_block(doc: Path, name: str, content: str) -> None:
    """Replace what stands between ``name``'s markers in ``doc`` with ``content``; the rest stays.

    Parameters
    ----------
    doc
        The Markdown document holding the block.
    name
        The block's name (see `markers`).
    content
        The new block content, written with one blank line either side.

    Raises
    ------
    SystemExit
        When ``doc`` lacks either marker; the document is then left as it was.
    """
    begin_marker, end_marker = markers(name)
    text = doc.read_text()
    head, begin, rest = text.partition(begin_marker)
    _, end, tail = rest.partition(end_marker)
    if not begin or not end:
        raise SystemExit(f"{doc}: no {begin_marker} ... {end_marker} block to write the tables into")
    doc.write_text(f"{head}{begin_marker}\n\n{content}\n\n{end_marker}{tail}")
