"""``serepok notify INI``: send the e-mails that are due to readers.

Sends the circulation outbox (holds ready, digital copies ready) and the
due-soon and overdue notices of active loans, each once, and logs every
message in ``notification_log``.  Run it from cron, e.g. every 15 minutes.
SMTP settings: ``mail.host``, ``mail.port``, ``mail.username``,
``mail.starttls``, ``mail.sender``; the password from ``mail.password`` or
the environment variable ``SEREPOK_MAIL_PASSWORD``.
"""
import sys


def add_notify(subparsers):
    p = subparsers.add_parser("notify", help="gửi thư thông báo cho bạn đọc / send reader e-mails")
    p.add_argument("ini", help="tệp cấu hình / configuration file, e.g. development.ini")
    p.set_defaults(func=cmd_notify)
    return p


def cmd_notify(args, out=None):
    from ils import db

    from .notifications import Notifier, mailer_from_settings
    out = out or sys.stdout
    with db.script_session(args.ini) as (session, settings):
        counts = Notifier(session, mailer_from_settings(settings), settings).send_due()
    print("Thư đã gửi / mails sent: " + ", ".join(f"{k} {v}" for k, v in counts.items()),
          file=out)
    return 1 if counts.get("failed") else 0
