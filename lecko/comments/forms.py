"""The readers' comment form."""

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..forms import Form

COMMENT_MAX_LENGTH = 10_000
# "exemple.fr" or "www.exemple.fr/blog": a web address without its scheme, as people type
# it (WordPress adds http://; https:// here).
_BARE_DOMAIN = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d+)?(?:[/?#]\S*)?$", re.I)


def with_scheme(value):
    """The typed address, with https:// in front when it is a bare domain."""
    value = (value or "").strip()
    return "https://" + value if _BARE_DOMAIN.match(value) else value


class CommentForm(Form):
    """Name, email (never shown), website, text; a honeypot and a signed time token.
    Anonymous pages are cached, so the session CSRF token is used only for signed-in
    staff; readers' forms are checked by the signed time token (see guard.py)."""

    author_name = StringField(_l("Name"), validators=[
        DataRequired(_l("Please give your name.")), Length(max=100)])
    author_email = EmailField(_l("Email (never shown)"), validators=[
        DataRequired(_l("Please give your email: it is never shown.")), Length(max=254),
        Email(_l("This email address is not valid."))])
    author_url = StringField(_l("Website (optional)"), filters=[with_scheme], validators=[
        Optional(), Length(max=300),
        Regexp(r"^https?://\S+$", message=_l("Give a web address starting with https://."))])
    text = TextAreaField(_l("Comment"), validators=[
        DataRequired(_l("Please write your comment.")),
        Length(max=COMMENT_MAX_LENGTH, message=_l("Keep your comment under 10,000 "
                                                    "characters."))])
    notify_replies = BooleanField(_l("Email me when someone replies"))
    parent_id = HiddenField()
    form_token = HiddenField()
    # A field humans never see (hidden by CSS and labelled for screen readers): bots fill it.
    website_confirm = StringField(_l("Leave this field empty"))


def comment_form(**kwargs) -> CommentForm:
    """The form with the session CSRF token only for signed-in staff (see CommentForm)."""
    staff = current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True)
    return CommentForm(meta={"csrf": staff}, **kwargs)


class CommentEditForm(Form):
    """The author's own edit within the edit window: the text only."""

    text = TextAreaField(_l("Comment"), validators=[
        DataRequired(_l("Please write your comment.")),
        Length(max=COMMENT_MAX_LENGTH, message=_l("Keep your comment under 10,000 "
                                                    "characters."))])
