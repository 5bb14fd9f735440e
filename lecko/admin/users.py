"""Accounts: the admin manages users; everyone manages their own profile."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from sqlalchemy import func, select

from ..accounts import AccountRefused, delete_account, deletion_refusal, holdings
from ..auth import role_required, stay_signed_in
from ..cli import unique_user_slug
from ..extensions import db
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
            if not user.slug:
                user.slug = unique_user_slug(user.username)
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
    taken = db.session.scalar(select(User.id).where(User.username == form.username.data,
                                                    User.id != (user.id or 0)))
    if taken:
        return "username", _("This username is taken.")
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


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    """Your own name, biography and password."""
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    status = 200
    if form.validate_on_submit():
        if form.new_password.data and not user.check_password(form.current_password.data or ""):
            form.current_password.errors.append(_("This is not your current password."))
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


