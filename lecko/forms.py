"""The base of every form: fields only ever see the kind of data they expect."""

from functools import lru_cache

from babel import support
from flask import request
from flask_babel import get_locale
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms.i18n import messages_path


class Form(FlaskForm):
    """FlaskForm without three surprises: a file sent in a text field (WTForms would hand
    the view a file where it expects a string, and crash it), a JSON body read as form
    data (no form here takes JSON; a JSON list crashes WTForms), and a prefixed form whose
    CSRF field is renamed (see bind_field)."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            """The CSRF field keeps its name whatever the form's prefix: every page sends
            one `csrf_token` (csrf_token() in templates), which a "reply-csrf_token" field
            would never read, refusing the form with a bare 400."""
            if options.get("name") == self.csrf_field_name:
                options = {**options, "prefix": ""}
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
