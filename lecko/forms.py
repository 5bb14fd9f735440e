"""The base of every form: fields only ever see the kind of data they expect."""

import re
from functools import lru_cache

from babel import support
from flask import request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.i18n import messages_path

# Control characters (C0, DEL, C1) are never typed: pasted from a terminal or sent by a bot,
# they are invisible on the page, break the XML of feeds and exports, and make two names
# that look alike differ. A single-line field turns line breaks and tabs into spaces; a
# text area keeps them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\t\n\r]+")


def without_controls(value):
    return _CONTROLS.sub("", value) if isinstance(value, str) else value


def one_line(value):
    return _LINE_BREAKS.sub(" ", without_controls(value)) if isinstance(value, str) else value


class Form(FlaskForm):
    """FlaskForm without three surprises: a file sent in a text field (WTForms would hand
    the view a file where it expects a string, and crash it), a JSON body read as form
    data (no form here takes JSON; a JSON list crashes WTForms), and a prefixed form whose
    CSRF field is renamed (see bind_field)); and no control characters in what people
    type (see without_controls)."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            """The CSRF field keeps its name whatever the form's prefix: every page sends
            one `csrf_token` (csrf_token() in templates), which a "reply-csrf_token" field
            would never read, refusing the form with a bare 400."""
            if options.get("name") == self.csrf_field_name:
                options = {**options, "prefix": ""}
            elif (issubclass(unbound_field.field_class, StringField)
                  and not issubclass(unbound_field.field_class, PasswordField)):
                clean = (without_controls if issubclass(unbound_field.field_class, TextAreaField)
                         else one_line)
                options = {**options, "filters": (clean, *unbound_field.kwargs.get("filters", ()))}
            return super().bind_field(form, unbound_field, options)

        def wrap_formdata(self, form, formdata):
            if formdata is _Auto and request.is_json:
                return None
            formdata = super().wrap_formdata(form, formdata)
            if isinstance(formdata, CombinedMultiDict):
                wanted = {field.name for field in form if isinstance(field, FileField)}
                files = MultiDict([(name, upload) for name, upload in
                                   request.files.items(multi=True) if name in wanted])
                return CombinedMultiDict((files, request.form))
            return formdata

        def get_translations(self, form):
            """WTForms' own messages in the reader's language, read once per language
            and process (Flask-WTF parses the catalogue again for every request)."""
            return wtforms_translations(str(get_locale()))


@lru_cache(maxsize=8)
def wtforms_translations(locale: str) -> support.NullTranslations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")
