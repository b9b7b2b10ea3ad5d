"""The diagnostician's review pages: templates, static files, page errors.

Pages are rendered on the server from Jinja2 templates (``api/templates``)
with charts as inline SVG (:mod:`api.ui.charts`); the only assets are the
local files in ``api/static``. The routes are in :mod:`api.routes.ui_pages` and
:mod:`api.routes.ui_submit`.
"""

from api.ui.templating import STATIC_DIR, TEMPLATES_DIR, PageRoute, install_ui, render

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "PageRoute", "install_ui", "render"]
