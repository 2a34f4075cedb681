"""Serepok: the digital library platform of a Vietnamese provincial library.

One distribution, one console script (``serepok``). Runtime pins live in
``requirements/base.txt`` (pip) and ``versions.cfg`` (zc.buildout); the ranges
below are the contract, the pins are what was verified to work together.
"""
from setuptools import find_namespace_packages, setup

PACKAGES = ("portal", "repository", "iiif", "federation", "ils",
            "assistant", "client", "mobile", "kiosk")

install_requires = [
    "setuptools>=75.8.2,<82",  # pyramid 2.1 imports pkg_resources; buildout 6 wants >=75.8.2
    "pyramid>=2.0,<2.2",
    "translationstring>=1.4",   # Pyramid's own; imported directly where a worker process must not import Pyramid
    "waitress>=3.0",
    "pyramid_tm>=2.5",
    "pyramid_retry>=2.1",
    "pyramid_zodbconn>=0.8",
    "pyramid_services>=2.2",
    "pyramid_jinja2>=2.10",
    "zope.sqlalchemy>=3.0",
    "ZODB>=6.0",
    "ZEO>=6.0",
    "BTrees>=6.0",
    "zodburi>=2.6",
    "hypatia>=0.5",
    "SQLAlchemy>=2.0,<2.2",
    "alembic>=1.13",
    "psycopg[binary]>=3.1",
    "argon2-cffi>=23.1",
    "Babel>=2.14",
    "limits>=3.13",
    "Pillow>=11,<=12.0.0",  # iiif-prezi3 caps Pillow at 12.0.0
    "mutagen>=1.47",        # audio durations of uploaded chapters
    "orjson>=3.11,<4",     # fast JSON text (ils.jsontext)
    "tantivy>=0.27,<0.28",  # embedded union-catalogue index; facets/aggregations API of 0.27
    "pymarc>=5.4,<6",       # MARC 21 records: MARC-8 tables, display and export of stored records
    "lxml>=6.1",            # streaming MARCXML import
    "tqdm>=4.66",           # progress bar of `serepok import marc`
    "segno>=1.6,<2",        # QR codes (PNG) linking back to union-catalogue records
    "python-barcode>=0.16,<0.17",  # Code 128 barcode of the reader's e-card
    "httpx>=0.28,<0.29",    # the OAI-PMH harvester's HTTP client
    "pysolr>=3.11,<4",      # the Solr backend of the union catalogue
    "kazoo>=2.11,<3",       # SolrCloud nodes from ZooKeeper (pysolr.SolrCloud)
    "openpyxl>=3.1,<4",     # XLSX book lists of commune libraries and their template
    "pyvips>=3.2,<4",       # IIIF Image API tiles (Debian libvips42)
    "iiif-prezi3>=3.1,<3.2",  # IIIF Presentation 3.0 manifests, validated as built
    "huey>=3.5,<4",         # background jobs (ils.jobs): SQLite queue, Redis by setting
    "redis>=5.2,<6",        # huey's Redis storage (jobs.backend = redis)
    "pikepdf[pdfa]>=10.18,<11",   # checks of uploaded PDFs; PDF/A-2b assembly and check
    "img2pdf>=0.6.3,<0.7",  # page images into a PDF without re-encoding
    "pypdfium2>=5.15,<6",   # page masters rendered from uploaded PDFs
]

setup(
    name="serepok",
    version="0.1.0",
    description="Serepok, the digital library platform of Đắk Lắk Provincial Library",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.11",
    # namespace discovery: the Alembic migrations and template folders are data packages
    packages=find_namespace_packages(include=[p + suffix for p in PACKAGES
                                              for suffix in ("", ".*")]),
    include_package_data=True,
    zip_safe=False,
    install_requires=install_requires,
    extras_require={
        "test": ["pytest", "WebTest", "selenium", "pyoai", "sickle", "sruthi", "aiosmtpd", "Sip2",
                 "iiif-validator"],
    },
    entry_points={
        "console_scripts": ["serepok = portal.cli:main"],
        "paste.app_factory": ["main = portal:main"],
    },
)
