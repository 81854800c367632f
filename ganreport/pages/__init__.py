"""Generated page kinds, one module each; importing this package registers them all.

To add a page kind, add a module here with a function decorated
`@page_kind("name", order=N)` that returns `PlannedPage`s (see registry.py), and import it
below. `order` decides the planning order: author pages (10) claim their URLs first,
the not-found page (100) comes last.
"""

from . import (  # noqa: F401  (imported to register the kinds)
    compare,
    home,
    not_found,
    setbacks,
    source,
    studies,
    study,
    version,
)
from .common import Site
from .registry import KINDS, PlannedPage, page_kind, plan_all

__all__ = ["KINDS", "PlannedPage", "Site", "page_kind", "plan_all"]
