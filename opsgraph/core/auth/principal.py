"""The caller of a request, whatever dialect it arrived in."""

from __future__ import annotations

from dataclasses import dataclass, field

from opsgraph.core.errors import PermissionDenied

# Role strength: a role may do what every weaker role may do.
ROLE_RANK = {"viewer": 1, "operator": 2, "maintainer": 3}


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    is_superuser: bool = False
    roles: dict[int, str] = field(default_factory=dict)  # business id → role name
    app_code: str = ""
    token_id: str | None = None

    def can(self, business_id: int, minimum_role: str = "viewer") -> bool:
        if self.is_superuser:
            return True
        role = self.roles.get(business_id)
        return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum_role]

    def require(self, business_id: int, minimum_role: str = "viewer") -> None:
        if not self.can(business_id, minimum_role):
            raise PermissionDenied(f"user {self.username!r} needs the {minimum_role} role on business {business_id}")

    def require_superuser(self, action: str) -> None:
        if not self.is_superuser:
            raise PermissionDenied(f"{action} needs a superuser")

    def visible_business_ids(self) -> list[int] | None:
        """None means every business (superuser)."""
        return None if self.is_superuser else list(self.roles)


# The user_id of a principal with no user row behind it: the operator's CLI below, or a name a
# login-exempt app gave that matches no active user (it then acts with no role; resolvers.identity).
NO_USER_ID = 0

# Who acts when an operator runs `opsgraph admin …` on the server itself: that shell already holds
# the database credentials, so role checks would protect nothing; the audit log still names it.
CLI_OPERATOR = Principal(user_id=NO_USER_ID, username="cli", is_superuser=True)
