"""Self-check terminals allowed to speak SIP2 to us, set up on a staff screen.

A terminal logs in with SIP2 message 93 (``CN`` login user id, ``CO`` password).
Only the argon2 hash of its password is stored (the project's hasher). The
terminal's ``site`` is where its checkouts and checkins happen; ``institution_id``
is what it sends and gets back in ``AO``; ``language`` (``vi``/``en``) is the
language of the screen messages (``AF``) it shows the reader.
"""
import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base

__all__ = ["Terminal"]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class Terminal(Base):
    __tablename__ = "sip2_terminals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)        # SIP2 CN
    password_hash: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(Unicode(200), default="")
    site: Mapped[str] = mapped_column(String(80), index=True)          # bmt | tuy-hoa
    location_code: Mapped[str] = mapped_column(String(60), default="")  # SIP2 CP / AP
    institution_id: Mapped[str] = mapped_column(String(60), default="")  # SIP2 AO
    language: Mapped[str] = mapped_column(String(5), default="vi")
    patron_password_required: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_seen: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)
    last_address: Mapped[str] = mapped_column(String(60), default="")
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")

    def __repr__(self):
        return f"<Terminal {self.login} {self.site}>"
