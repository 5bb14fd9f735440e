"""The staff forms: one per screen, limits equal to the column sizes, French messages."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form
from ..html import article_problem
from ..i18n import LANGUAGE_NAMES
from ..logins import email_problem, username_problem
from ..models.people import ROLES
from ..parsing import EARLIEST_YEAR, LATEST_YEAR, date_in_range, parse_id
from ..permissions import may_publish

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (categories)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def lf_line_breaks(text: str | None) -> str | None:
    """A textarea's text with LF line breaks: browsers send CRLF, so without this a save
    of an untouched form would change every line of the stored source."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def within_date_bounds(_form, field) -> None:
    """A date the blog can store and show (parsing.date_in_range): year 1 or 9999 would
    overflow the time zone shift, and the article with it."""
    if field.data is not None and not date_in_range(field.data):
        raise ValidationError(_l("Give a date between the years %(first)d and %(last)d.",
                                 first=EARLIEST_YEAR, last=LATEST_YEAR))


def body_problem(source: str | None) -> str | None:
    """What to tell an author whose body the sanitizer refuses, or None."""
    problem = article_problem(source or "")
    return problem.message if problem else None


class PostForm(Form):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Give the article a title.")), Length(max=300)])
    slug = StringField(_l("Address (slug)"), validators=[
        Optional(), Length(max=200),
        Regexp(SLUG_PATTERN, message=_l("Use lower-case letters, digits and hyphens only."))])
    body_source = TextAreaField(_l("Text"), validators=[Length(max=500_000)],
                                filters=[lf_line_breaks])
    excerpt = TextAreaField(_l("Excerpt"), validators=[Length(max=1000)],
                            filters=[lf_line_breaks])
    categories = CheckboxListField(_l("Categories"), coerce=int, validate_choice=False)
    tags = StringField(_l("Tags"), validators=[Length(max=1000)])
    series_id = SelectField(_l("Series"), coerce=int, validate_choice=False)
    new_series = StringField(_l("…or a new series"), validators=[Length(max=200)])
    series_position = IntegerField(_l("Part number"), validators=[
        Optional(), NumberRange(1, 999, _l("Give a number from 1 to 999."))])
    parent_id = SelectField(_l("Parent page"), coerce=int, validate_choice=False)
    menu_order = IntegerField(_l("Order in the menu"), default=0, validators=[
        Optional(), NumberRange(-999, 999, _l("Give a number from -999 to 999."))])
    featured_media_id = SelectField(_l("Featured image"), coerce=int, validate_choice=False)
    comments_open = BooleanField(_l("Comments open"), default=True)
    language = SelectField(_l("Language"))  # i18n.LANGUAGE_NAMES
    status = SelectField(_l("Status"))
    publish_at = DateTimeLocalField(_l("Publication date and time"), format="%Y-%m-%dT%H:%M",
                                    validators=[Optional(), within_date_bounds])
    base_revision = HiddenField()

    def validate_body_source(self, field):
        if message := body_problem(field.data):
            raise ValidationError(message)

    def validate_parent_id(self, field):
        """The menu offers neither the page itself nor its sub-pages (a loop): a choice
        outside it is refused aloud, not dropped."""
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose the parent page from the list: a page cannot "
                                     "go under itself or one of its sub-pages."))


def valid_username(_form, field) -> None:
    """accounts.USERNAME, with a suggestion for a name typed with accents or spaces."""
    problem = field.data and username_problem(field.data)
    if problem:
        raise ValidationError(problem)


def staff_email(_form, field) -> None:
    """logins.email_problem for an address typed here; the account's own, unchanged, is
    never refused (an address stored by `users create` before the rule was the same)."""
    typed = (field.data or "").strip()
    if typed and typed.lower() != (field.object_data or "").strip().lower():
        if problem := email_problem(typed):
            raise ValidationError(problem)


class UserForm(Form):
    """An admin creating or changing an account (their own: current_password, kept only
    then, is asked to change the email or password)."""

    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Give a username.")), Length(max=60), valid_username])
    display_name = StringField(_l("Name shown on articles"), validators=[
        DataRequired(_l("Give the name shown on articles.")), Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254), staff_email])
    role = SelectField(_l("Role"), choices=list(ROLES))
    active = BooleanField(_l("Account active (can sign in)"), default=True)
    bio = TextAreaField(_l("Short biography"), validators=[Length(max=2000)])
    password = PasswordField(_l("New password"), validators=[
        Optional(), Length(min=8, max=1000, message=_l("Use 8 to 1000 characters."))])
    current_password = PasswordField(_l("Your current password"), validators=[
        Length(max=1000)])


class DeleteUserForm(Form):
    """An admin deleting an account: who receives its content (the view fills the menu)."""

    # The menu starts on "Choose an account…" (value ""): nobody is chosen for the admin.
    reassign_to = SelectField(_l("Attribute all content to"), validate_choice=False,
                              coerce=lambda raw: parse_id(str(raw)) or 0)

    def validate_reassign_to(self, field):
        if field.data not in {value for value, _label in field.choices if value}:
            raise ValidationError(_l("Choose the account that will receive the content."))


class ProfileForm(Form):
    """Staff changing their own name, bio and password."""

    display_name = StringField(_l("Name shown on articles"), validators=[
        DataRequired(_l("Give the name shown on articles.")), Length(max=120)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=254), staff_email])
    bio = TextAreaField(_l("Short biography"), validators=[Length(max=2000)])
    current_password = PasswordField(_l("Current password"), validators=[Length(max=1000)])
    new_password = PasswordField(_l("New password"), validators=[
        Optional(), Length(min=8, max=1000, message=_l("Use 8 to 1000 characters."))])
    confirm_password = PasswordField(_l("New password again"), validators=[
        EqualTo("new_password", _l("The two passwords differ."))])


class SettingsForm(Form):
    title = StringField(_l("Site title"), validators=[
        DataRequired(_l("Give the site a title.")), Length(max=200)])
    tagline = StringField(_l("Tagline"), validators=[Length(max=300)])
    language = SelectField(_l("Language"), choices=list(LANGUAGE_NAMES.items()))
    timezone = StringField(_l("Timezone"), validators=[DataRequired(), Length(max=60)])
    posts_per_page = IntegerField(_l("Articles per page"), validators=[
        InputRequired(_l("Give a number.")), NumberRange(1, 100, _l("From 1 to 100."))])
    comment_thread_depth = IntegerField(_l("Reply depth of comments"), validators=[
        InputRequired(_l("Give a number.")), NumberRange(1, 10, _l("From 1 to 10."))])
    comments_close_after_days = IntegerField(_l("Close comments after (days, 0 = never)"),
                                             validators=[InputRequired(_l("Give a number.")),
                                                         NumberRange(0, 36500)])
    comment_hold_all = BooleanField(_l("Hold every comment for moderation"))
    comment_hold_new_authors = BooleanField(
        _l("Hold comments from people who have no approved comment yet"))
    comment_max_links = IntegerField(_l("Hold comments with this many links (0 = never)"),
                                     validators=[InputRequired(_l("Give a number.")),
                                                 NumberRange(0, 100)])
    comment_moderation_words = TextAreaField(_l("Words that hold a comment"),
                                             validators=[Length(max=5000)])
    comment_disallowed_words = TextAreaField(_l("Words that send a comment to spam"),
                                             validators=[Length(max=5000)])
    comment_rate_limit = BooleanField(_l("Limit how often one address may comment"))
    comment_min_interval = IntegerField(_l("Seconds between two comments"), validators=[
        InputRequired(_l("Give a number.")), NumberRange(0, 3600)])
    comment_max_per_hour = IntegerField(_l("Comments per hour and address"), validators=[
        InputRequired(_l("Give a number.")), NumberRange(1, 1000)])
    comment_min_fill_seconds = IntegerField(_l("Minimum seconds to fill in the form"),
                                            validators=[InputRequired(_l("Give a number.")),
                                                        NumberRange(0, 600)])
    comment_edit_minutes = IntegerField(_l("Minutes readers may edit their comment"),
                                        validators=[InputRequired(_l("Give a number.")),
                                                    NumberRange(0, 1440)])
    comment_notify_editors = BooleanField(_l("Mail editors about held comments"))
    comment_notify_author = BooleanField(_l("Mail authors about new comments"))
    upload_max_mb = IntegerField(_l("Largest upload (MB)"), validators=[
        InputRequired(_l("Give a number.")), NumberRange(1, 100, _l("From 1 to 100."))])
    about_title = StringField(_l("'About' widget title"), validators=[Length(max=200)])
    about_text = TextAreaField(_l("'About' widget text"), validators=[Length(max=2000)])
    download_title = StringField(_l("Download widget title"), validators=[Length(max=200)])
    download_text = TextAreaField(_l("Download widget text"), validators=[Length(max=2000)])
    download_label = StringField(_l("Download button label"), validators=[Length(max=200)])
    download_url = StringField(_l("Document address"), validators=[Length(max=500)])


class ConfirmForm(Form):
    """CSRF only: for buttons that change state."""


class BulkForm(Form):
    action = SelectField(_l("Bulk action"), choices=[
        ("", _l("Bulk actions")), ("publish", _l("Publish")), ("trash", _l("Move to trash"))])
    ids = SelectMultipleField(coerce=int, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Publishing is offered to those who may publish (permissions.may_publish) only.
        if not may_publish(current_user):
            self.action.choices = [c for c in self.action.choices if c[0] != "publish"]
