"""Comment threads: flat rows from SQL into a tree, in Python, in one pass."""

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Node:
    comment: Any  # a row of queries.COMMENT_COLUMNS, or a Comment
    children: list["Node"] = field(default_factory=list)


def comment_tree(comments: list) -> list[Node]:
    """Roots in order with their replies; a reply whose parent is hidden becomes a root."""
    nodes = {c.id: Node(c) for c in comments}
    roots = []
    for comment in comments:
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        (parent.children if parent else roots).append(nodes[comment.id])
    return roots
