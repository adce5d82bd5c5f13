"""Sending the handover e-mail over SMTP with the standard library, off the event loop."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    tls: str = "starttls"  # starttls, ssl or none
    timeout: float = 30.0


def build_message(
    *, sender: str, to: Sequence[str], subject: str, body: str, attachments: dict[str, str]
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    for filename, text in attachments.items():
        message.add_attachment(text.encode("utf-8"), maintype="text", subtype="csv",
                               filename=filename)  # fmt: skip
    return message


def _send(config: SmtpConfig, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.tls == "ssl":
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    with smtp:
        if config.tls == "starttls":
            smtp.starttls(context=context)
        if config.user:
            smtp.login(config.user, config.password)
        smtp.send_message(message)


async def send_email(config: SmtpConfig, message: EmailMessage) -> None:
    """Send `message`; smtplib blocks, so it runs in a thread. Raises OSError/SMTPException."""
    await asyncio.to_thread(_send, config, message)
