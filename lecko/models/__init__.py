"""The data model; import models from here."""

from .base import utcnow
from .comments import Comment, RateEvent, ReplySubscription
from .content import Category, Post, Redirect, Revision, Series, Tag
from .media import Media
from .people import LoginFailure, User
from .settings import ContentState, Setting

__all__ = [
    "Category", "Comment", "ContentState", "LoginFailure", "Media", "Post", "RateEvent",
    "Redirect", "ReplySubscription", "Revision", "Series", "Setting", "Tag", "User", "utcnow",
]
