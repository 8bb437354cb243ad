"""Reminder messages and where they go: an SMTP server, or ``.eml`` files in a folder.

Only the standard library: :mod:`email` builds the message, :mod:`smtplib` sends it.

SMTP settings come from the command line or the environment, never from the database:

==========================  ===================================================
``PARTNERSHIP_SMTP``        ``HOST`` or ``HOST:PORT`` (port 587 by default)
``PARTNERSHIP_SMTP_USER``   the user to log in as (no login without one)
``PARTNERSHIP_SMTP_TLS``    ``starttls`` (the default) or ``none`` (a server on
                            this machine, or a test server)
``PARTNERSHIP_SMTP_PASSWORD_ENV``  the NAME of the environment variable that holds
                            the password (default ``PARTNERSHIP_SMTP_PASSWORD``)
``PARTNERSHIP_MAIL_FROM``   the address reminders come from
==========================  ===================================================

The password is read from the environment when the connection is made, and is never
written anywhere. A recipient the server refuses is :class:`NotDelivered` (that message
is not recorded, the others go on); a connection that drops or cannot be made is
:class:`TransportLost` (nothing more is sent; what went before stays recorded).
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import frozen

from ..errors import PartnershipError, ValidationError

if TYPE_CHECKING:
    from ..outfiles import Protected
    from .service import Message, Plan

DEFAULT_PORT = 587
DEFAULT_PASSWORD_ENV = "PARTNERSHIP_SMTP_PASSWORD"
_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class NotDelivered(PartnershipError):
    """This one message was refused (the others may still go)."""


class TransportLost(PartnershipError):
    """Nothing more can be sent: the connection failed or dropped."""


@frozen
class SmtpSettings:
    """Where and how to send; the password is only the name of a variable."""

    host: str
    port: int = DEFAULT_PORT
    starttls: bool = True
    user: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    timeout: float = 30.0

    @classmethod
    def from_options(cls, smtp: str | None, *, user: str | None = None, tls: str | None = None,
                     password_env: str | None = None,
                     environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """Settings from the options given, the environment filling in the rest."""
        env = os.environ if environ is None else environ
        where = smtp or env.get("PARTNERSHIP_SMTP", "")
        if not where:
            raise ValidationError(
                "no mail server given; add --smtp HOST[:PORT] (or set PARTNERSHIP_SMTP), "
                "or write .eml files with --out DIR")
        host, _, port_text = where.strip().rpartition(":") if ":" in where else (where.strip(), "", "")
        port = DEFAULT_PORT
        if port_text:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValidationError(
                    f"the mail server's port must be a number from 1 to 65535 (got '{port_text}'); "
                    f"check --smtp HOST:PORT")
            port = int(port_text)
        if not host or not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", host):
            raise ValidationError(f"'{where}' is not a mail server; give --smtp HOST or HOST:PORT")
        tls_text = (tls or env.get("PARTNERSHIP_SMTP_TLS") or "starttls").strip().lower()
        if tls_text not in ("starttls", "none"):
            raise ValidationError(f"--smtp-tls must be starttls or none (got '{tls_text}')")
        name = password_env or env.get("PARTNERSHIP_SMTP_PASSWORD_ENV") or DEFAULT_PASSWORD_ENV
        if not _ENV_NAME.fullmatch(name):
            raise ValidationError(
                f"'{name}' is not the name of an environment variable; check --smtp-password-env")
        return cls(host=host, port=port, starttls=tls_text == "starttls",
                   user=user or env.get("PARTNERSHIP_SMTP_USER") or None, password_env=name)


def sender_address(given: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The From address: ``--from`` or ``PARTNERSHIP_MAIL_FROM``."""
    env = os.environ if environ is None else environ
    sender = (given or env.get("PARTNERSHIP_MAIL_FROM") or "").strip()
    if not sender:
        raise ValidationError(
            "say who reminders come from with --from ADDRESS (or set PARTNERSHIP_MAIL_FROM)")
    if not _ADDRESS.fullmatch(sender):
        raise ValidationError(f"'{sender}' is not an email address like lead@example.org; check --from")
    return sender


def body(plan: Plan, message: Message) -> str:
    """The plain text of one person's reminder."""
    first = message.name.split()[0] if message.name.split() else message.name
    lines = [f"Dear {first},", "",
             f"This is a reminder from {plan.partnership} of what is due from you or "
             f"{message.partner} in the next {plan.within} days, or overdue, as of "
             f"{plan.as_of.isoformat()}.", ""]
    sections = [("commitment", "Promises you (or your organisation) made"),
                ("figure", "Figures your organisation reports"),
                ("agenda", "Meetings you were asked to attend")]
    for kind, title in sections:
        items = [i for i in message.items if i.kind == kind]
        if items:
            lines.append(f"{title}:")
            lines += [f"  - {i.text}" for i in items]
            lines.append("")
    if message.inbox_link:
        lines += ["Report figures or mark a promise delivered here (your personal link, "
                  "please do not forward it):", f"  {message.inbox_link}", ""]
    lines += ["If something here is wrong, reply and say so.", "",
              f"You get this because you are part of {plan.partnership}; reply if you would "
              f"rather not get reminders."]
    return "\n".join(lines) + "\n"


def build_message(plan: Plan, message: Message, *, sender: str) -> EmailMessage:
    """The email to one person (``message.email`` must be set)."""
    if not message.email:
        raise ValidationError(f"{message.person} has no email address; add one with "
                              f"'partnership person update {message.person} --email ...'")
    email = EmailMessage()
    email["From"] = formataddr((plan.partnership, sender))
    email["To"] = formataddr((message.name, message.email))
    email["Subject"] = f"{plan.partnership}: {message.subject}"
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    email["Auto-Submitted"] = "auto-generated"
    email["X-Partnership-Person"] = message.person
    email["X-Partnership-Date"] = plan.as_of.isoformat()
    email.set_content(body(plan, message))
    return email


class SmtpTransport:
    """Sends over one SMTP connection (STARTTLS and login when set)."""

    via = "smtp"

    def __init__(self, settings: SmtpSettings, *, environ: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self._env = os.environ if environ is None else environ
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        password = None
        if s.user:
            password = self._env.get(s.password_env)
            if not password:
                raise TransportLost(
                    f"no password for {s.user}: set the environment variable {s.password_env} "
                    f"(or name another with --smtp-password-env)")
        try:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportLost(f"cannot reach the mail server {s.host}:{s.port} ({_why(exc)}); "
                                f"check --smtp") from None
        try:
            conn.ehlo()
            if s.starttls:
                conn.starttls(context=ssl.create_default_context())
                conn.ehlo()
            if s.user and password:
                conn.login(s.user, password)
        except smtplib.SMTPAuthenticationError:
            _quit(conn)
            raise TransportLost(f"the mail server refused the login of {s.user}; check the user "
                                f"and {s.password_env}") from None
        except smtplib.SMTPNotSupportedError:
            _quit(conn)
            raise TransportLost(f"the mail server {s.host}:{s.port} does not offer STARTTLS; "
                                f"use --smtp-tls none only for a server on this machine") from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            _quit(conn)
            raise TransportLost(f"the mail server {s.host}:{s.port} failed ({_why(exc)})") from None
        return conn

    def deliver(self, message: EmailMessage) -> None:
        if self._conn is None:
            self._conn = self._connect()
        try:
            refused = self._conn.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = "; ".join(f"{code} {_text(text)}" for code, text in exc.recipients.values())
            raise NotDelivered(f"the mail server refused {message['To']} ({codes})") from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            raise NotDelivered(f"the mail server refused the message to {message['To']} "
                               f"({exc.smtp_code} {_text(exc.smtp_error)})") from None
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPException, OSError) as exc:
            self._conn = None
            raise TransportLost(f"the mail server {self.settings.host}:{self.settings.port} dropped "
                                f"the connection ({_why(exc)}); run remind again later") from None
        if refused:
            raise NotDelivered(f"the mail server refused {', '.join(refused)}")

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            _quit(conn)


class EmlFolder:
    """Writes each message as ``DATE-PERSON.eml`` in a folder (private files, 0600); a
    second one the same day is ``DATE-PERSON-2.eml``: no file is ever replaced."""

    via = "eml"

    def __init__(self, folder: str | os.PathLike[str], *, protect: tuple[Protected, ...] = ()) -> None:
        self.folder = Path(folder)
        self.protect = protect
        self.written: list[Path] = []
        if self.folder.exists() and not self.folder.is_dir():
            raise ValidationError(f"{self.folder} is a file, not a folder; choose a folder for --out")
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ValidationError(f"cannot make the folder {self.folder} ({exc.strerror}); "
                                  f"choose another --out folder") from None

    def deliver(self, message: EmailMessage) -> None:
        from ..outfiles import OutputFileError, write_output

        to = str(message["To"])
        person = str(message["X-Partnership-Person"] or "") or re.sub(r"[^a-z0-9-]+", "-", to.lower())
        stem = f"{message['X-Partnership-Date']}-{person}"
        # never over an earlier reminder (or anything else): the next free name
        target = self.folder / f"{stem}.eml"
        n = 1
        while target.exists() or target.is_symlink():
            n += 1
            target = self.folder / f"{stem}-{n}.eml"
        try:
            self.written.append(write_output(target, message.as_bytes(), protect=self.protect,
                                             private=True, what="a reminder this command wrote"))
        except OutputFileError as exc:
            raise TransportLost(str(exc)) from None

    def close(self) -> None:
        return None


def _quit(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        conn.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
