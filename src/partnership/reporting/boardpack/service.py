"""``p.report``: the board pack of a partnership, as HTML or PDF.

>>> p.report.render()                                   # HTML, as text
>>> p.report.render(fmt="pdf")                          # PDF, as bytes (needs WeasyPrint)
>>> p.report.write("board-2026-03.pdf", since="board-2026-01")

First page: the verdict per outcome (one plain status each), what changed since the last
meeting (or ``since``: a meeting's slug or a date), the collaboration killers and check
problems, promises due and broken, and stale figures. Then a page per outcome (its
charts, the story behind the curve, who does what, the gaps), the written updates, the
trust ledger, the meeting record and every check problem.

No contact details (email, phone) unless ``private=True``, which adds a contacts page
and marks every page as private; a private file is written readable by its owner only.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from partnership.errors import ValidationError

from .render import GENERATOR

if TYPE_CHECKING:
    import os

    from partnership.api import Partnership

FORMATS = ("html", "pdf")
_SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf"}


def format_of(path: str | os.PathLike[str]) -> str:
    """'html' or 'pdf', from the file name's ending."""
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise ValidationError(
            f"cannot tell the format of {Path(path).name}: end the file name in .html or .pdf "
            f"(e.g. -o board-2026-03.pdf)")
    return _SUFFIXES[suffix]


def _ours(path: Path) -> bool:
    """A board pack this command wrote (HTML or PDF)."""
    with open(path, "rb") as f:
        head = f.read(2048)
        if head.lstrip().lower().startswith(b"<!doctype html"):
            return b'<meta name="generator" content="partnership report">' in head
        if head.startswith(b"%PDF-"):  # the identifier is in the trailer, at the end
            f.seek(max(0, path.stat().st_size - 4096))
            return b"/ID [(" + GENERATOR + b" " in f.read()
    return False


class Report:
    """The board pack (see the module docstring)."""

    def __init__(self, p: Partnership) -> None:
        self.p = p

    def data(self, *, since: str | None = None, private: bool = False) -> dict[str, Any]:
        """What the board pack shows, as plain data (for scripts and other layouts)."""
        from .gather import gather

        return gather(self.p, since=since, private=private)

    @overload
    def render(self, since: str | None = None, private: bool = False,
               fmt: Literal["html"] = "html") -> str: ...

    @overload
    def render(self, since: str | None = None, private: bool = False, *,
               fmt: Literal["pdf"]) -> bytes: ...

    @overload
    def render(self, since: str | None = None, private: bool = False, fmt: str = "html") -> str | bytes: ...

    def render(self, since: str | None = None, private: bool = False, fmt: str = "html") -> str | bytes:
        """The board pack as HTML text (``fmt="html"``) or PDF bytes (``fmt="pdf"``)."""
        if fmt not in FORMATS:
            raise ValidationError(f"the board pack's format must be html or pdf (got '{fmt}')")
        from . import render

        document = render.html(self.data(since=since, private=private))
        return render.pdf(document) if fmt == "pdf" else document

    def write(self, path: str | os.PathLike[str], *, since: str | None = None, private: bool = False,
              force: bool = False) -> Path:
        """Write the board pack to ``path`` (.html or .pdf), safely (see partnership.outfiles)."""
        from partnership.outfiles import check_target, protected_paths, write_output

        fmt = format_of(path)
        protect = protected_paths(self.p.store.path)
        # refuse a target it may not write before the work of rendering it
        check_target(path, protect=protect, force=force, recognise=_ours, what="a board pack")
        content = self.render(since=since, private=private, fmt=fmt)
        return write_output(path, content, protect=protect, private=private, force=force,
                            recognise=_ours, what="a board pack")
