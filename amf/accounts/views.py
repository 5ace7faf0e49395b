"""Sign-in, sign-out and the admins' account screens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from amf.accounts import forms, services
from amf.accounts.access import ADMIN, CHECKIN, guard, may_open, public, requires
from amf.accounts.models import Role, User
from amf.extensions import db, limiter

bp = guard(Blueprint("accounts", __name__, url_prefix="/organiser"))
bp.add_app_template_global(may_open)


def _login_rate_limit() -> str:
    return current_app.config["AMF_LOGIN_RATE_LIMIT"]


def safe_next(target: str | None) -> str | None:
    """The "next" address if it is a path on this site, else None (no open redirects)."""
    if not target or len(target) > 2000 or any(ord(c) < 32 for c in target):
        return None
    target = target.replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    """Where an account lands after signing in."""
    if user.role == Role.CHECKIN:
        return url_for("checkin.screen")
    return url_for("organiser.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
@public
def login():
    """The sign-in form."""
    form = forms.LoginForm()
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or home_for(current_user))
    failed = False
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session for the signed-in person
            login_user(user)
            return redirect(next_url or home_for(user), code=303)
        failed = True
    status = 422 if request.method == "POST" else 200
    return render_template(
        "accounts/login.html", form=form, next_url=next_url, failed=failed
    ), status


@bp.post("/logout")
@requires(*CHECKIN)
def logout():
    """Sign out."""
    form = forms.LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash("You are signed out.", "info")
    return redirect(url_for("accounts.login"), code=303)


@bp.get("/accounts/")
@requires(*ADMIN)
def accounts():
    """Every account, with a form for a new one."""
    return render_template(
        "accounts/list.html", users=services.list_users(), form=forms.NewAccountForm()
    )


@bp.post("/accounts/")
@requires(*ADMIN)
def create_account():
    """Create an account."""
    form = forms.NewAccountForm()
    if form.validate_on_submit():
        try:
            services.create_user(
                form.email.data,
                form.password.data,
                Role(form.role.data),
                form.name.data,
                actor=current_user,
            )
        except services.AccountError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(f"Account created for {form.email.data}.", "info")
            return redirect(url_for(".accounts"), code=303)
    return render_template("accounts/list.html", users=services.list_users(), form=form), 422


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@requires(*ADMIN)
def edit_account(user_id: int):
    """Change an account's name, role or access."""
    user = db.get_or_404(User, user_id)
    form = forms.EditAccountForm(
        obj=user,
        role=user.role.value,
        enabled=user.is_enabled,
        formdata=request.form if request.method == "POST" else None,
    )
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.update_user(
                user, current_user, form.name.data or "", Role(form.role.data), form.enabled.data
            )
        except services.AccountError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("Account saved.", "info")
            return redirect(url_for(".accounts"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/edit.html", user=user, form=form), status
