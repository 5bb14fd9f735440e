"""Readers' side: home, posts, pages, archives, search, feeds, sitemap."""

from flask import Blueprint

bp = Blueprint("blog", __name__)

from . import feeds, views  # noqa: E402, F401
