"""The board pack as HTML (Jinja2, autoescaped, with a print stylesheet) and as PDF
(WeasyPrint, an optional extra: ``pip install 'partnership[pdf]'``).

The HTML is one self-contained file: the stylesheet is inside it and the charts are
inline SVG, so it can be mailed, opened offline, printed from any browser, or turned
into a PDF by WeasyPrint without fetching anything.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

from partnership.errors import PartnershipError
from partnership.narrative import long_date

TEMPLATES = Path(__file__).parent / "templates"
#: the maker's mark: in the HTML's generator meta tag and the PDF's identifier
GENERATOR = b"partnership report"


class PdfUnavailable(PartnershipError):
    """WeasyPrint (or the Pango library it draws text with) is not installed."""


def _num(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _pct(value: Any) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "-"
    return f"{round(value * 100)}%"


def _slug(value: Any) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(value or "").lower()).strip("-")


def _short(text: Any, limit: int = 120) -> str:
    s = " ".join(str(text or "").split())
    return s if len(s) <= limit else s[: limit - 1].rstrip() + "\u2026"


def _s(n: Any) -> str:
    return "" if n == 1 else "s"


def html(data: dict[str, Any]) -> str:
    """The board pack as one HTML document."""
    import jinja2

    from . import charts

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(day=long_date, num=_num, pct=_pct, slug=_slug, s=_s, short=_short)
    return env.get_template("boardpack.html").render(p=data, charts=charts)


def pdf(document: str) -> bytes:
    """``document`` (HTML) printed to PDF by WeasyPrint, with the print stylesheet."""
    try:
        import weasyprint  # the optional extra 'pdf' (typed as Any: it ships no type information)
    except (ImportError, OSError) as exc:  # OSError: Pango missing
        raise PdfUnavailable(
            f"writing PDF needs WeasyPrint ({_why(exc)}); install it with "
            f"pip install 'partnership[pdf]', or write .html and print it from a browser") from None
    quiet = logging.getLogger("weasyprint")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # it warns about CSS it ignores (screen-only rules)
    try:
        # the file's identifier names its maker, so a later run recognises a file it wrote
        ident = GENERATOR + b" " + hashlib.sha256(document.encode()).hexdigest()[:16].encode()
        written = weasyprint.HTML(string=document).write_pdf(pdf_identifier=ident)
    finally:
        quiet.setLevel(level)
    if not isinstance(written, bytes):  # pragma: no cover - write_pdf() without a target returns bytes
        raise PdfUnavailable("WeasyPrint returned no PDF; upgrade it with pip install -U weasyprint")
    return written


def _why(exc: BaseException) -> str:
    if isinstance(exc, ModuleNotFoundError):
        return "it is not installed"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
