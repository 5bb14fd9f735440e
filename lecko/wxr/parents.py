"""Parents named by a WordPress file (categories, pages, comments): one that would make
an item its own ancestor is left out, the item placed at the top and the report told.
Written as the file asked, a loop stopped the whole import with the database's English
"Circular dependency" message."""

from flask_babel import lazy_gettext as _l

PARENT_LOOP = _l("“%(name)s”: its parent in the file would make it its own ancestor (a loop); "
                 "it is placed at the top instead.")


def parent_without_loop(node, parent):
    """`parent`, or None when it is `node` itself or below it."""
    seen, ancestor = set(), parent
    while ancestor is not None and id(ancestor) not in seen:
        if ancestor is node:
            return None
        seen.add(id(ancestor))
        ancestor = ancestor.parent
    return parent
