"""Signing in and out, roles, and throttling of failed sign-ins (kept in the database so
the limit holds across workers and hosts)."""

from datetime import timedelta
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import and_, delete, func, or_, select, update
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .clients import ip_hash
from .extensions import db, login_manager
from .forms import Form
from .models import LoginFailure, User, utcnow

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """'id:epoch' (User.get_id); a session from before the last sign-out is refused."""
    number, _, epoch = user_id.partition(":")
    if not number.isdigit() or not (epoch or "0").isdigit():
        return None
    user = db.session.get(User, int(number))
    if user is None or not user.active or user.session_epoch != int(epoch or 0):
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


def throttle_wait(account: str, address_hash: str) -> timedelta | None:
    """How long to wait before the next try, or None when sign-in is allowed."""
    config = current_app.config
    window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW"])
    since = utcnow() - window
    for column, value in ((LoginFailure.account, account), (LoginFailure.ip_hash, address_hash)):
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginFailure.created_at))
            .where(column == value, LoginFailure.created_at >= since)
        ).one()
        if count >= config["LOGIN_MAX_FAILURES"]:
            return max(oldest + window - utcnow(), timedelta(seconds=1))
    return None


def record_failure(account: str, address_hash: str) -> None:
    """Note a failed sign-in and forget the ones older than the window."""
    window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW"])
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < utcnow() - window))
    db.session.add(LoginFailure(account=account, ip_hash=address_hash))
    db.session.commit()


def find_user(login: str) -> User | None:
    """By username, or by email as WordPress allows."""
    login = login.strip()
    by_email = and_(User.email != "", func.lower(User.email) == login.lower())
    return db.session.scalar(select(User).where(or_(User.username == login, by_email)).limit(1))


CARRY_PREFIX = "carry-"


def carried_fields(form, prefix: str = "") -> list[tuple[str, str]]:
    """(name, value) pairs of a submitted form worth sending again (not its old token)."""
    return [(name[len(prefix):], value) for name, values in form.lists()
            for value in values
            if name.startswith(prefix) and name[len(prefix):] not in ("csrf_token", "")]


def login_page_keeping(target: str, fields: list[tuple[str, str]]):
    """The sign-in page holding a form that could not be saved: nothing typed is lost."""
    form = LoginForm(formdata=None)
    return render_template("auth/login.html", form=form, carry=fields, next_target=target,
                           carry_prefix=CARRY_PREFIX), 401


def safe_next(target: str | None) -> str:
    """Only local paths: a crafted ?next= must not send the user to another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("admin.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form, throttled per account and per address."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    carry = carried_fields(request.form, CARRY_PREFIX) if request.method == "POST" else []
    status = 200
    if form.validate_on_submit():
        account, address = form.username.data.strip().lower(), ip_hash()
        wait = throttle_wait(account, address)
        user = None if wait else find_user(form.username.data)
        if wait:
            minutes = max(1, round(wait.total_seconds() / 60))
            form.password.errors.append(_(
                "Too many failed attempts. Please wait %(minutes)d minutes and try again.",
                minutes=minutes))
            status = 429
        elif user is None or not user.active or not user.check_password(form.password.data):
            record_failure(account, address)
            form.password.errors.append(_("Wrong username or password."))
            status = 401
        else:
            session.clear()  # a new session: nothing from before signing in carries over
            g.pop("csrf_token", None)  # Flask-WTF caches the old session's token there
            login_user(user, remember=form.remember.data)
            db.session.execute(delete(LoginFailure).where(LoginFailure.account == account))
            db.session.commit()
            if carry:
                return render_template("errors/resubmit.html", fields=carry,
                                       target=safe_next(request.args.get("next")),
                                       signed_in_again=True)
            return redirect(safe_next(request.args.get("next")))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form, carry=carry,
                           next_target=request.args.get("next"), carry_prefix=CARRY_PREFIX), status


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
