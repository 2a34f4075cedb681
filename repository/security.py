"""Permissions and roles: the one vocabulary used by ACLs and views alike.

Permissions are ``area:thing:action`` strings.  Roles are granted either
globally (on the account, e.g. ``Manager``) or per site as *local roles*
stored on the :class:`repository.resources.Site` (``SiteAdmin``,
``Librarian``).  A principal for a role is ``role:<Name>``; the security
policy adds local-role principals only while the context lies inside the
site that granted them, which is what keeps a librarian of one site out of
the other.
"""
import enum

from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, Deny, Everyone


class Permission(str, enum.Enum):
    """Every permission the platform checks."""

    VIEW = "portal:content:view"                 # see a page or read a record
    STAFF = "portal:workspace:access"            # enter the staff workspace
    ADD = "repository:content:add"
    EDIT = "repository:content:edit"
    MOVE = "repository:content:move"
    DELETE = "repository:content:delete"
    PUBLISH = "repository:content:transition"    # run workflow transitions
    VIEW_DRAFTS = "repository:content:view-drafts"
    MANAGE_SITE = "repository:site:manage"       # settings and local roles of a site
    MANAGE_USERS = "accounts:user:manage"
    OWN_ACCOUNT = "accounts:self:edit"           # change own password, tokens

    def __str__(self):
        return self.value


class Role(str, enum.Enum):
    MANAGER = "Manager"        # global: the whole platform
    SITE_ADMIN = "SiteAdmin"   # local: one site, its staff and settings
    LIBRARIAN = "Librarian"    # local: content of one site
    READER = "Reader"          # global: a signed-in reader

    @property
    def principal(self):
        return f"role:{self.value}"

    def __str__(self):
        return self.value


#: Roles that may only be granted on a site (local roles).
LOCAL_ROLES = (Role.SITE_ADMIN, Role.LIBRARIAN)
#: Roles stored on the account itself.
GLOBAL_ROLES = (Role.MANAGER, Role.READER)

_EDITING = (Permission.STAFF, Permission.ADD, Permission.EDIT, Permission.MOVE,
            Permission.DELETE, Permission.PUBLISH, Permission.VIEW_DRAFTS,
            Permission.VIEW)

ROLE_PERMISSIONS = {
    Role.MANAGER: ALL_PERMISSIONS,
    Role.SITE_ADMIN: _EDITING + (Permission.MANAGE_SITE,),
    Role.LIBRARIAN: _EDITING,
    Role.READER: (),
}

STAFF_PRINCIPALS = (Role.MANAGER.principal, Role.SITE_ADMIN.principal,
                    Role.LIBRARIAN.principal)
#: Principal of anyone who holds a staff role somewhere (any site).
STAFF_GROUP = "group:staff"


def root_acl():
    """The ACL of the repository root: role grants plus what everyone may do."""
    acl = [(Allow, Role.MANAGER.principal, ALL_PERMISSIONS)]
    for role in (Role.SITE_ADMIN, Role.LIBRARIAN, Role.READER):
        perms = [str(p) for p in ROLE_PERMISSIONS[role]]
        if perms:
            acl.append((Allow, role.principal, perms))
    acl.append((Allow, Authenticated, [str(Permission.OWN_ACCOUNT)]))
    acl.append((Allow, Everyone, [str(Permission.VIEW)]))
    return acl


def state_acl(state):
    """The ACL a workflow state puts on a content object.

    ``published`` adds nothing (the root lets everyone view); ``internal``
    shows the object to staff of every site (read only) and hides it from
    readers; ``private`` shows it only to staff of its own site and managers.
    """
    view = str(Permission.VIEW)
    if state == "published":
        return []
    allowed = list(STAFF_PRINCIPALS)
    if state == "internal":
        allowed.append(STAFF_GROUP)
    return [(Allow, p, view) for p in allowed] + [(Deny, Everyone, view)]
