"""Failed sign-ins, throttled so that strangers can neither guess a password nor lock its
owner out (OWASP's "device cookies"), counted in the database so the limits hold across
workers and hosts.

- A browser that once signed in to an account keeps a signed device cookie naming it: its
  failures on that account count against that browser alone (LOGIN_MAX_FAILURES).
- Every other browser shares the account's allowance of LOGIN_MAX_FAILURES per
  LOGIN_FAILURE_WINDOW minutes, wherever the guesses come from. Past it, browsers
  without the cookie wait; the owner's usual browser does not.
- Browsers without the cookie are also limited per address, whatever the account
  (LOGIN_ADDRESS_MAX_FAILURES).
- A name that matches no account is counted like an account, and a refusal costs one
  password hash either way: neither the lock nor the time taken says which names exist.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from flask import current_app, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import and_, delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .clients import ip_hash
from .extensions import db
from .models import LoginFailure, User, utcnow

DEVICE_COOKIE = "lecko_device"
# Failures are counted per "<kind>:<id>": an account, a browser the account knows, or a
# name that matches no account (hashed: a password typed in the name field stays unread).
ACCOUNT, DEVICE, NAME = "account:", "device:", "name:"
DEVICE_ID = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Attempt:
    """What a sign-in counts against: its bucket, its address (hashed), and the browser's
    device id when the account knows this browser."""

    bucket: str
    address: str
    device: str | None


def attempt_for(login: str, user: User | None) -> Attempt:
    """Who is trying: `login` as typed, `user` the account it names (or None)."""
    device = known_device(user)
    if device:
        bucket = DEVICE + device
    elif user is not None:
        bucket = ACCOUNT + str(user.id)
    else:
        bucket = NAME + keyed_hash(login.strip().lower())
    return Attempt(bucket, ip_hash(), device)


def wait_before(attempt: Attempt) -> timedelta | None:
    """How long this browser must wait before trying again, or None."""
    config = current_app.config
    limits = [(LoginFailure.account == attempt.bucket, config["LOGIN_MAX_FAILURES"])]
    if attempt.device is None:
        from_address = and_(LoginFailure.ip_hash == attempt.address,
                            ~LoginFailure.account.startswith(DEVICE))
        limits.append((from_address, config["LOGIN_ADDRESS_MAX_FAILURES"]))
    window = timedelta(minutes=config["LOGIN_FAILURE_WINDOW"])
    now = utcnow()
    waits = []
    for condition, limit in limits:
        count, oldest = db.session.execute(
            select(func.count(), func.min(LoginFailure.created_at))
            .where(condition, LoginFailure.created_at >= now - window)).one()
        if count >= limit:
            waits.append(max(oldest + window - now, timedelta(seconds=1)))
    return max(waits, default=None)


def count_failure(attempt: Attempt) -> None:
    """Count a failed sign-in, and forget those older than the window."""
    window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW"])
    db.session.execute(delete(LoginFailure).where(LoginFailure.created_at < utcnow() - window))
    db.session.add(LoginFailure(account=attempt.bucket, ip_hash=attempt.address))
    db.session.commit()


def forget_failures(attempt: Attempt) -> None:
    """After a success, the failures this browser made (its typos). Those of strangers
    elsewhere stay counted: the owner signing in must not give them more guesses."""
    mine = LoginFailure.account == attempt.bucket
    if attempt.device is None:
        mine = and_(mine, LoginFailure.ip_hash == attempt.address)
    db.session.execute(delete(LoginFailure).where(mine))


def throttle_wait(key: str, address: str) -> timedelta | None:
    """For other passwords (a protected post's): the same limits, per key and address."""
    return wait_before(Attempt(key, address, None))


def record_failure(key: str, address: str) -> None:
    count_failure(Attempt(key, address, None))


def password_matches(user: User | None, password: str) -> bool:
    """Whether `user` may sign in with `password`. Costs one password hash whether or
    not the account exists, is active or has a password (imported authors have none)."""
    if user is None or not user.password_hash:
        check_password_hash(dummy_hash(), password)
        return False
    return user.check_password(password) and user.active


@cache
def dummy_hash() -> str:
    """A hash made like real ones (same method and cost), matching no password."""
    return generate_password_hash(secrets.token_hex(16))


def keyed_hash(text: str) -> str:
    salt = current_app.config["SECRET_KEY"].encode()[:64]
    return hashlib.blake2b(text.encode(), key=salt, digest_size=16,
                           person=b"lecko-sign-in").hexdigest()


def serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lecko-device")


def known_device(user: User | None) -> str | None:
    """This browser's device id, if its device cookie is genuine and names `user`."""
    cookie = request.cookies.get(DEVICE_COOKIE)
    if user is None or not cookie:
        return None
    max_age = current_app.config["LOGIN_DEVICE_DAYS"] * 86400
    try:
        data = serializer().loads(cookie, max_age=max_age)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("user") != user.id:
        return None
    device = data.get("device")
    return device if isinstance(device, str) and DEVICE_ID.fullmatch(device) else None


def remember_device(response, user: User, attempt: Attempt):
    """Give the browser that just signed in its device cookie (renewed if it had one)."""
    device = attempt.device or secrets.token_hex(16)
    config = current_app.config
    response.set_cookie(
        DEVICE_COOKIE, serializer().dumps({"user": user.id, "device": device}),
        max_age=config["LOGIN_DEVICE_DAYS"] * 86400, path=url_for("auth.login"),
        secure=config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict")
    return response
