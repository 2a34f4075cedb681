"""The directory of commune and ward libraries the provincial library serves.

Each library has a stable code (``xa-ea-kao``) that its copies and records
carry in the catalogue, and sits in a commune, ward or special zone of a
province: since 1 July 2025 Vietnam has two levels of local government, so
there is no district. ``config.include("ils.libraries")`` registers
``ILibraryDirectory``.
"""


def includeme(config):
    from .services import ILibraryDirectory, LibraryDirectory
    config.register_service_factory(lambda context, request: LibraryDirectory(request.dbsession),
                                    ILibraryDirectory)
