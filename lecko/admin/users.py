"""Accounts: the admin manages users; everyone manages their own profile."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from sqlalchemy import func, select

from ..accounts import AccountRefused, delete_account, deletion_refusal, holdings
from ..auth import role_required, stay_signed_in
from ..cli import unique_user_slug
from ..extensions import db
from ..logins import identity_problems
from ..models import Post, User
from ..models.people import ADMIN
from . import ROLE_LABELS, bp
from .forms import DeleteUserForm, ProfileForm, UserForm


@bp.get("/users/")
@role_required(ADMIN)
def users():
    """Every account with its role and number of articles."""
    counts = dict(db.session.execute(select(Post.author_id, func.count()).group_by(
        Post.author_id)).all())
    people = db.session.scalars(select(User).order_by(User.display_name))
    return render_template("admin/users.html", users=people, counts=counts)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required(ADMIN)
def new_user():
    """Create an account."""
    return edit_account(User(role="author", active=True))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(ADMIN)
def edit_user(user_id: int):
    """Change someone's role, details, password, or disable the account."""
    return edit_account(db.get_or_404(User, user_id))


def edit_account(user: User):
    form = UserForm(obj=user)
    form.role.choices = [(role, ROLE_LABELS[role]) for role in ROLE_LABELS]
    if user.id != current_user.id:  # asked of the admin changing their own account only
        del form.current_password
    status = 200
    if form.validate_on_submit():
        error = account_error(user, form)
        if error:
            field, message = error
            getattr(form, field).errors.append(message)
            status = 400
        else:
            form.populate_obj(user)
            user.email = (form.email.data or "").strip()
            if not user.slug:  # from the name shown, not the login name (never public)
                user.slug = unique_user_slug(user.display_name)
            if form.password.data:
                user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            if form.password.data and user.id == current_user.id:
                stay_signed_in(user)
            flash(_("Account saved."), "success")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/edit_user.html", form=form, user=user), status


def account_error(user: User, form: UserForm) -> tuple[str, str] | None:
    """Checks that need the database or the whole picture, as (field, message)."""
    problems = identity_problems(form.username.data, form.email.data or "",
                                 form.display_name.data, user.id)
    if problems:
        return next(iter(problems.items()))
    if "current_password" in form and (refusal := needs_current_password(
            user, form.email.data, form.password.data, form.current_password.data)):
        return "current_password", refusal
    if not user.id and not form.password.data:
        return "password", _("Give the new account a password.")
    if user.id == current_user.id and (form.role.data != ADMIN or not form.active.data):
        return "role", _("You cannot remove your own administrator rights.")
    return None


@bp.route("/users/<int:user_id>/delete", methods=["GET", "POST"])
@role_required(ADMIN)
def delete_user(user_id: int):
    """Delete an account after choosing who receives its content: the screen lists what
    moves. Never one's own account, never the last administrator."""
    user = db.get_or_404(User, user_id)
    refusal = deletion_refusal(user, current_user)
    if refusal is not None:
        return render_template("admin/delete_user.html", user=user, refusal=refusal), \
            400 if request.method == "POST" else 200
    form = DeleteUserForm()
    form.reassign_to.choices = successor_choices(user)
    status = 200
    if form.validate_on_submit():
        successor = db.session.get(User, form.reassign_to.data)
        name = user.display_name
        try:
            delete_account(user, successor, by=current_user)
        except AccountRefused as refused:
            db.session.rollback()
            form.reassign_to.errors.append(str(refused.message))
            status = 400
        else:
            db.session.commit()
            flash(_("Account “%(name)s” deleted; its content now belongs to %(successor)s.",
                    name=name, successor=successor.display_name), "success")
            return redirect(url_for("admin.users"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/delete_user.html", user=user, form=form,
                           holdings=holdings(user)), status


def successor_choices(user: User) -> list[tuple]:
    """Every other account, disabled ones included (as WordPress offers them); nobody
    chosen at first."""
    others = db.session.scalars(select(User).where(User.id != user.id)
                                .order_by(User.display_name, User.username))
    return [("", _("Choose an account…"))] + [
        (other.id, f"{other.display_name} ({other.username})") for other in others]


def needs_current_password(user: User, email: str | None, new_password: str | None,
                           current_password: str | None) -> str | None:
    """One's own email or password changes only with the current password (WordPress
    asks it too): a session left open, or a stolen cookie, does not take the account
    over. The message to show, or None."""
    email_changes = (email or "").strip().lower() != (user.email or "").lower()
    if not (email_changes or new_password) or user.check_password(current_password or ""):
        return None
    if current_password:
        return _("This is not your current password.")
    return _("Give your current password to change your email or password.")


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Your own name, biography and password."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    status = 200
    if form.validate_on_submit():
        problems = identity_problems(None, form.email.data or "", form.display_name.data,
                                     user.id)
        refusal = needs_current_password(user, form.email.data, form.new_password.data,
                                         form.current_password.data)
        if refusal:
            problems.setdefault("current_password", refusal)
        for field, message in problems.items():
            getattr(form, field).errors.append(message)
        if problems:
            status = 400
        else:
            user.display_name = form.display_name.data.strip()
            user.email = (form.email.data or "").strip()
            user.bio = form.bio.data or ""
            if form.new_password.data:
                user.set_password(form.new_password.data)
            db.session.commit()
            if form.new_password.data:
                stay_signed_in(user)
            flash(_("Profile saved."), "success")
            return redirect(url_for("admin.profile"))
    elif form.is_submitted():
        status = 400
    return render_template("admin/profile.html", form=form), status


