"""Outgoing mail: plain UTF-8 text over SMTP (stdlib), or into the log when no server is
configured. Sending never raises: the comment that caused a mail is already stored."""

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.errors import HeaderParseError
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app, has_request_context

from .hosts import MAIL_WITHOUT_SITE_URL

log = logging.getLogger(__name__)

# Headers stored raw (Message.set_raw) are written as given, never refolded: the standard
# policy would fold a long address into RFC 2047 encoded words, which no mail provider
# reads as a List-Unsubscribe address, and folds accented text into encoded words with
# the spaces between them lost ("Mesurerl’adoption"). Others are folded as usual.
VERBATIM_POLICY = policy.default.clone(refold_source="none")
# Whitespace but the no-break spaces of French typography (before « : », inside « »).
BREAKABLE_SPACE = re.compile(r"[^\S\u00a0\u202f]+")
# RFC 5322's hard limit for one line, CRLF aside.
MAX_LINE = 998


@dataclass
class Mail:
    """One message: recipients, subject, plain-text body, extra headers."""

    to: list[str]
    subject: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)


def send_mail(to: list[str], subject: str, body: str, headers: dict | None = None) -> bool:
    """Send one mail; False (and a line in the log) when it could not be handed over."""
    return send_mails([Mail(list(to), subject, body, dict(headers or {}))]) == 1


def send_mails(mails: Iterable[Mail]) -> int:
    """Send mails over one connection (a dead server costs one timeout, not one per mail).
    Returns how many were handed to the server, or written to the log without MAIL_SERVER."""
    mails = list(mails)
    if mails_reach_nobody():
        return len(mails)
    messages = [message for message in map(build_message, mails) if message is not None]
    if not messages:
        return 0
    config = current_app.config
    if config["MAIL_SERVER"] and not config.get("SITE_URL"):
        # The factory refuses this; a config changed afterwards must not mail Host's links.
        log.error("%d mail(s) not sent: %s", len(messages), MAIL_WITHOUT_SITE_URL)
        return 0
    if not config["MAIL_SERVER"]:
        for message in messages:
            log.info("MAIL_SERVER is not set: mail written here instead of sent.\n"
                     "To: %s\nSubject: %s\n\n%s", message["To"], message["Subject"],
                     message.get_content())
        return len(messages)
    sent = 0
    try:
        with smtp_connection(config) as smtp:
            for message in messages:
                try:
                    smtp.send_message(message)
                    sent += 1
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                    log.warning("mail server refused the mail to %s: %s", message["To"], error)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("could not send %d mail(s) through %s:%s: %s", len(messages) - sent,
                    config["MAIL_SERVER"], config["MAIL_PORT"], error)
    return sent


def mails_reach_nobody() -> bool:
    """No MAIL_SERVER and a log that drops INFO lines (as under gunicorn, unless logging is
    configured): a mail would be built, at some cost, only to be thrown away."""
    return not current_app.config["MAIL_SERVER"] and not log.isEnabledFor(logging.INFO)


def build_message(mail: Mail) -> EmailMessage | None:
    """The EmailMessage for a Mail, or None (logged) when an address or header is unusable."""
    message = EmailMessage(policy=VERBATIM_POLICY)
    try:
        message["From"] = current_app.config["MAIL_SENDER"]
        message["To"] = ", ".join(mail.to)
        # A title or a name must never smuggle a header in: one line, always.
        add_header(message, "Subject", one_line(mail.subject))
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = make_msgid(domain=sender_domain())
        # RFC 3834: no vacation replies or bounces to a robot.
        message["Auto-Submitted"] = "auto-generated"
        for name, value in mail.headers.items():
            add_header(message, name, value)
        # Quoted-printable: 7-bit clean for any server, whatever the line lengths.
        message.set_content(mail.body, cte="quoted-printable")
    except (ValueError, TypeError, IndexError, HeaderParseError) as error:
        log.warning("mail to %s not built: %s", mail.to, error)
        return None
    return message


def one_line(text: str) -> str:
    """Runs of spaces and line breaks as one space; French no-break spaces kept."""
    return BREAKABLE_SPACE.sub(" ", text).strip()


def add_header(message: EmailMessage, name: str, value: str) -> None:
    """Printable ASCII that fits on one line goes out exactly as given (an address in
    <…>: RFC 2369, 8058); other text as RFC 2047 encoded words that keep its spaces; a
    control character (a line break smuggling a header in) is refused: ValueError."""
    if any(c < " " or c == "\x7f" for c in value):
        raise ValueError(f"the {name} header holds a control character")
    if len(name) + 2 + len(value) <= MAX_LINE and value.isascii():
        message.set_raw(name, value)
    else:
        message.set_raw(name, Header(value, "utf-8", header_name=name).encode())


def sender_domain() -> str:
    sender = current_app.config["MAIL_SENDER"] or ""
    domain = sender.rsplit("@", 1)[-1].strip(" >")
    return domain or "localhost"


@contextmanager
def smtp_connection(config) -> Iterator[smtplib.SMTP]:
    """An SMTP session as configured: plain, STARTTLS or TLS, logged in if asked."""
    host, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        yield smtp


@contextmanager
def site_request_context() -> Iterator[None]:
    """A request context on SITE_URL when there is none (the command line), so url_for
    can build the absolute links a mail or an export carries. Inside a request, those
    are on SITE_URL too (lecko/urls.py); without it, on a host TRUSTED_HOSTS allowed."""
    if has_request_context():
        yield
        return
    site_url = current_app.config.get("SITE_URL") or "http://localhost/"
    if not current_app.config.get("SITE_URL"):
        log.warning("SITE_URL is not set: links written outside a request use %s", site_url)
    parts = urlsplit(site_url)
    base = f"{parts.scheme or 'http'}://{parts.netloc or 'localhost'}{parts.path}"
    with current_app.test_request_context(base_url=base):
        yield
