"""Readers' comments: the form, the guard, the author's short edit window."""

from flask import Blueprint

bp = Blueprint("comments", __name__)

from . import views  # noqa: E402, F401
