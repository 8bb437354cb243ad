"""The board pack: a document for a partnership's board, as HTML (with a print
stylesheet) or PDF. ``p.report`` (:class:`partnership.reporting.boardpack.service.Report`)
and ``partnership report``.

* :mod:`.gather` reads everything it shows from the working file, in bulk;
* :mod:`.charts` draws the charts as SVG;
* :mod:`.render` lays it out (Jinja2 template and stylesheet in ``templates/``) and
  prints it to PDF through WeasyPrint where it is installed;
* :mod:`.service` is the library entry point, :mod:`.cli` the command.
"""
