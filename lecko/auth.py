"""Signing in and out, and roles. Failed sign-ins are throttled in throttling.py; a form
kept from an ended session comes along through the sign-in (keptforms.py)."""

from functools import wraps
from math import ceil

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import and_, func, or_, select, update
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from . import throttling
from .extensions import db, login_manager
from .forms import Form
from .keptforms import CARRY_PREFIX, KeptForm, kept_form, resend_page
from .models import User
from .origin import local_path, safe_next
from .parsing import parse_id, parse_int

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
# "basic": a session used from another address or browser is only marked non-fresh, so a
# phone changing networks stays signed in ("strong" signed it out mid-work). What protects
# a copied cookie is elsewhere: HttpOnly, Secure and SameSite flags, the session epoch
# (signing out or a new password ends every copy), and the current password asked before
# one's own email or password changes (README, Security).
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """'id:epoch' (User.get_id); a session from before the last sign-out is refused."""
    number, _, epoch = user_id.partition(":")
    user_number, epoch_number = parse_id(number), parse_int(epoch or "0")
    if user_number is None or epoch_number is None:
        return None
    user = db.session.get(User, user_number)
    if user is None or not user.active or user.session_epoch != epoch_number:
        return None
    return user


class LoginForm(Form):
    username = StringField(_l("Username or email"), validators=[
        DataRequired(_l("Enter your username.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=1000)])
    remember = BooleanField(_l("Stay signed in on this device"))


def role_required(*roles: str):
    """Refuse (403) signed-in users whose role is not among `roles`."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


def find_user(login: str) -> User | None:
    """By username or by email as WordPress allows, whatever their case: both are unique
    whatever their case (logins.py, migration 0016)."""
    login = login.strip().lower()
    by_email = and_(User.email != "", func.lower(User.email) == login)
    return db.session.scalar(select(User).where(
        or_(func.lower(User.username) == login, by_email)).limit(1))


def login_page_keeping(status: int = 401):
    """The sign-in page for a staff form that arrived without a session (or with a sign-in
    form's token gone stale): the form comes along when it is one to keep (keptforms.py);
    otherwise the person signs in and makes the change again."""
    kept = kept_form()
    return login_page(LoginForm(formdata=None), kept, session_ended=True), status


def login_page(form: LoginForm, kept: KeptForm | None, session_ended: bool = False) -> str:
    """The sign-in page, leading afterwards to the kept form, to ?next=, or back to the
    staff page whose form was not kept."""
    if kept:
        back = kept.target
    elif request.endpoint == "auth.login":
        back = local_path(request.args.get("next"))
    else:  # a staff page whose form was not kept: back to it, if it can be opened
        rule = request.url_rule
        back = request.path if rule is not None and "GET" in rule.methods else None
    return render_template("auth/login.html", form=form, kept=kept, next_target=back,
                           carry_prefix=CARRY_PREFIX, session_ended=session_ended)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form, throttled (throttling.py). A form kept from an ended session
    comes along, and is offered again once signed in."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    kept = kept_form()
    status = 200
    if form.validate_on_submit():
        user = find_user(form.username.data)
        attempt = throttling.attempt_for(form.username.data, user)
        if wait := throttling.wait_before(attempt):
            minutes = max(1, round(wait.total_seconds() / 60))
            form.password.errors.append(_(
                "Too many failed attempts. Please wait %(minutes)d minutes and try again.",
                minutes=minutes))
            status = 429
        elif not throttling.password_matches(user, form.password.data):
            throttling.count_failure(attempt)
            form.password.errors.append(_("Wrong username or password."))
            status = 401
        else:
            return sign_in(user, form.remember.data, attempt, kept)
    elif form.is_submitted():
        status = 400
    page = login_page(form, kept, session_ended=kept is not None)
    if status == 429:  # when to come back, for scripts and monitors as for people
        return page, status, {"Retry-After": str(ceil(wait.total_seconds()))}
    return page, status


def sign_in(user: User, remember: bool, attempt: throttling.Attempt, kept: KeptForm | None):
    """A new session for `user`, then the kept form (sent when they press its button) or
    the page they asked for."""
    session.clear()  # a new session: nothing from before signing in carries over
    g.pop("csrf_token", None)  # Flask-WTF caches the old session's token there
    login_user(user, remember=remember)
    throttling.forget_failures(attempt)
    db.session.commit()
    if kept:
        response = make_response(resend_page(signed_in_again=True))
    else:
        response = redirect(safe_next(request.args.get("next")))
    return throttling.remember_device(response, user, attempt)


def stay_signed_in(user: User) -> None:
    """After `user` changed their own password (which ends every session of theirs): a
    fresh session here, and a fresh "stay signed in" cookie if this browser had one."""
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=remember in request.cookies)


@bp.post("/logout")
def logout():
    """Sign out (POST only, with CSRF, so a link on another site cannot do it), everywhere:
    copies of this session cookie stop working too."""
    if current_user.is_authenticated:
        # A plain UPDATE: signing out changes nothing readers see, so caches stay warm.
        db.session.execute(update(User).where(User.id == current_user.id)
                           .values(session_epoch=User.session_epoch + 1))
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("blog.index"))


@bp.get("/wp-login.php")
def wordpress_login():
    """Old bookmarks of WordPress's sign-in page."""
    return redirect(url_for("auth.login"), 301)


@bp.get("/wp-admin/", defaults={"rest": ""})
@bp.get("/wp-admin/<path:rest>")
def wordpress_admin(rest: str):
    return redirect(url_for("admin.dashboard"), 301)
