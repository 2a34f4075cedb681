"""Account services: argon2 passwords, sign-in checks, API tokens."""
import datetime
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyramid.i18n import TranslationStringFactory
from sqlalchemy import select
from zope.interface import Interface, implementer

from .models import ApiToken, User, utcnow

_ = TranslationStringFactory("serepok")

MIN_PASSWORD = 10
TOKEN_BYTES = 32
TOKEN_USE_RESOLUTION = datetime.timedelta(minutes=15)


class IAccountService(Interface):
    """Find, create and authenticate accounts; issue and check API tokens."""


class PasswordPolicyError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class LoginTakenError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def check_password_policy(password, login=""):
    if len(password or "") < MIN_PASSWORD:
        raise PasswordPolicyError(_("The password must have at least ${n} characters.",
                                    mapping={"n": MIN_PASSWORD}))
    if login and login.lower() in password.lower():
        raise PasswordPolicyError(_("The password must not contain the login name."))


def token_digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_DUMMIES = {}


def hasher_from_settings(settings):
    """argon2id with argon2-cffi's recommended defaults unless ``argon2.*`` settings say
    otherwise (tests lower them; production should not)."""
    default = PasswordHasher()
    return PasswordHasher(
        time_cost=int(settings.get("argon2.time_cost", default.time_cost)),
        memory_cost=int(settings.get("argon2.memory_cost", default.memory_cost)),
        parallelism=int(settings.get("argon2.parallelism", default.parallelism)))


@implementer(IAccountService)
class AccountService:
    """Accounts in SQL, passwords hashed with argon2id (argon2-cffi defaults)."""

    hasher = PasswordHasher()

    def __init__(self, dbsession, hasher=None):
        self.db = dbsession
        if hasher is not None:
            self.hasher = hasher

    @property
    def _dummy(self):
        """A hash made with this service's parameters: verifying against it keeps the
        time of an unknown login like that of a known one."""
        key = (self.hasher.time_cost, self.hasher.memory_cost, self.hasher.parallelism)
        if key not in _DUMMIES:
            _DUMMIES[key] = self.hasher.hash("serepok-timing-equaliser")
        return _DUMMIES[key]

    def get(self, user_id):
        return self.db.get(User, int(user_id)) if str(user_id).isdigit() else None

    def by_login(self, login):
        login = (login or "").strip().lower()
        return self.db.scalar(select(User).where(User.login == login))

    def create(self, login, password, display_name="", roles=(), email="", home_site="",
               check_policy=True):
        login = login.strip().lower()
        if check_policy:
            check_password_policy(password, login)
        if self.by_login(login) is not None:
            raise LoginTakenError(_("This login name is already taken."))
        user = User(login=login, display_name=display_name or login, email=email,
                    password_hash=self.hasher.hash(password), home_site=home_site)
        user.role_set = roles
        self.db.add(user)
        self.db.flush()
        return user

    def authenticate(self, login, password):
        """The active user with this login and password, or None."""
        user = self.by_login(login)
        if user is None or not user.active:
            try:
                self.hasher.verify(self._dummy, password or "x")
            except VerificationError:
                pass
            return None
        try:
            self.hasher.verify(user.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            return None
        if self.hasher.check_needs_rehash(user.password_hash):
            user.password_hash = self.hasher.hash(password)
        return user

    def set_password(self, user, new_password, check_policy=True):
        if check_policy:
            check_password_policy(new_password, user.login)
        user.password_hash = self.hasher.hash(new_password)
        user.password_changed = utcnow()
        user.session_version = (user.session_version or 1) + 1

    def end_all_sessions(self, user):
        user.session_version = (user.session_version or 1) + 1

    def issue_token(self, user, name="", days=365):
        """Create a token; the plain value is returned once and never stored."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        self.db.add(ApiToken(user=user, name=name, token_hash=token_digest(token),
                             expires=utcnow() + datetime.timedelta(days=days)))
        self.db.flush()
        return token

    def user_for_token(self, token):
        row = self.db.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
        if row is None or row.revoked:
            return None
        expires = row.expires
        if expires is not None and expires.tzinfo is None:   # SQLite drops the zone
            expires = expires.replace(tzinfo=datetime.timezone.utc)
        if expires is not None and expires < utcnow():
            return None
        if not row.user.active:
            return None
        # Record use coarsely: a write on every API call would be wasted I/O.
        last = row.last_used
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=datetime.timezone.utc)
        if last is None or utcnow() - last > TOKEN_USE_RESOLUTION:
            row.last_used = utcnow()
        return row.user

    def revoke_token(self, user, token_id):
        row = self.db.get(ApiToken, int(token_id))
        if row is not None and row.user_id == user.id:
            row.revoked = True
            return True
        return False
