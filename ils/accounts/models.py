"""Accounts and API tokens."""
import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..models import Base


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


class User(Base):
    """Someone who signs in: staff (with roles) or a reader.

    ``roles`` holds global roles only (``Manager``, ``Reader``); roles on a
    site are local roles stored on the site in the repository.
    ``session_version`` changes on sign-out everywhere and on password
    change, which invalidates every existing session cookie of the user.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(Unicode(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200), default="")
    home_site: Mapped[str] = mapped_column(String(80), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True),
                                                                default=utcnow)

    tokens = relationship("ApiToken", back_populates="user", cascade="all, delete-orphan")

    @property
    def role_set(self):
        return frozenset(r for r in self.roles.split(",") if r)

    @role_set.setter
    def role_set(self, roles):
        self.roles = ",".join(sorted(set(str(r) for r in roles)))


class ApiToken(Base):
    """A bearer token for the apps; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Unicode(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                                nullable=True)
    expires: Mapped[datetime.datetime | None] = mapped_column(DateTime(timezone=True),
                                                              nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user = relationship("User", back_populates="tokens")
