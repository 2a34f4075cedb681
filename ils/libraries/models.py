"""A commune, ward or special-zone library of the network (thư viện cấp xã).

``code`` is the stable identifier: copies uploaded from the library's
spreadsheet carry it as ``Item.library`` and their records as the source
``csv:<code>``; it never changes once given. The place is the two-level
administrative unit of 2025: a commune-level unit (``unit_type`` xã, phường
or đặc khu, and its name) inside a province.
"""
import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Base

__all__ = ["Library", "UNIT_TYPES", "PROVINCES", "DEFAULT_PROVINCE"]


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


#: Commune-level units of the 2025 reform: code → Vietnamese name.
UNIT_TYPES = {"xa": "xã", "phuong": "phường", "dac-khu": "đặc khu"}

#: The 34 province-level units from 1 July 2025 (Resolution 202/2025/QH15):
#: six centrally governed cities, then the provinces.
PROVINCES = (
    "Hà Nội", "Huế", "Hải Phòng", "Đà Nẵng", "Thành phố Hồ Chí Minh", "Cần Thơ",
    "Lai Châu", "Điện Biên", "Sơn La", "Lạng Sơn", "Quảng Ninh", "Thanh Hóa", "Nghệ An",
    "Hà Tĩnh", "Cao Bằng", "Tuyên Quang", "Lào Cai", "Thái Nguyên", "Phú Thọ", "Bắc Ninh",
    "Hưng Yên", "Ninh Bình", "Quảng Trị", "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng",
    "Đắk Lắk", "Đồng Nai", "Tây Ninh", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang",
)
DEFAULT_PROVINCE = "Đắk Lắk"


class Library(Base):
    __tablename__ = "libraries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(Unicode(200))
    unit_type: Mapped[str] = mapped_column(String(10), default="xa")
    unit_name: Mapped[str] = mapped_column(Unicode(120))
    province: Mapped[str] = mapped_column(Unicode(60), default=DEFAULT_PROVINCE)
    address: Mapped[str] = mapped_column(Unicode(300), default="")
    contact_name: Mapped[str] = mapped_column(Unicode(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    opening_hours: Mapped[str] = mapped_column(UnicodeText, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def unit(self):
        """The commune-level unit as written: ``xã Ea Kao``."""
        return f"{UNIT_TYPES.get(self.unit_type, self.unit_type)} {self.unit_name}"

    @property
    def place(self):
        """``xã Ea Kao, tỉnh Đắk Lắk`` (a city keeps its name: ``phường Hải Châu, Đà Nẵng``)."""
        cities = PROVINCES[:6]
        province = self.province if self.province in cities else f"tỉnh {self.province}"
        return f"{self.unit}, {province}"

    def __repr__(self):
        return f"<Library {self.code} {self.name!r}>"
