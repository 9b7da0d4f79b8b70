"""OS accounts: the login (alias → OS user + password or SSH private key) steps run as.

The secret is encrypted at rest with `SecretBox(settings.secret_key)` and leaves this module only
through `decrypt_account_secret`, for the executors; it is never in a query result or the audit log.
A business has at most one default account: the one used where a caller names none.
"""

from __future__ import annotations

from typing import Any

import asyncssh

from opsgraph.core.auth.principal import CLI_OPERATOR, Principal
from opsgraph.core.crypto import SecretBox
from opsgraph.core.errors import Conflict, Duplicate, NotFound, ValidationFailed
from opsgraph.core.settings import Settings
from opsgraph.models.jobs import Account, AccountAuth, JobStep
from opsgraph.models.topology import Business
from opsgraph.resolvers.audit import record_operation
from opsgraph.resolvers.jobs.common import READ_ROLE, WRITE_ROLE, clean_description, clean_name, load_owned
from opsgraph.resolvers.topology.business import get_business
from opsgraph.resolvers.topology.common import write_transaction

# Every column but `secret`: what lists and loaders read, so the ciphertext never even leaves the database.
PUBLIC_COLUMNS = (
    "id",
    "business_id",
    "alias",
    "username",
    "auth",
    "is_default",
    "description",
    "created_by",
    "created_at",
)
_UPDATABLE = frozenset({"alias", "username", "password", "private_key", "is_default", "description"})
_MAX_SECRET = 64 * 1024


async def get_account(principal: Principal, account_id: int, minimum_role: str = READ_ROLE) -> Account:
    return await load_owned(
        principal, Account, account_id, minimum_role=minimum_role, label="account", field="accountId"
    )


async def create_account(
    principal: Principal | None,
    settings: Settings,
    business_id: int,
    *,
    alias: str,
    username: str,
    password: str | None = None,
    private_key: str | None = None,
    is_default: bool = False,
    description: str | None = None,
) -> Account:
    """Exactly one of `password` / `private_key`. `principal` None = the operator's CLI."""
    actor = principal or CLI_OPERATOR
    await get_business(actor, business_id, WRITE_ROLE)
    alias = clean_name(alias, field="alias", label="account alias", max_length=128)
    username = _clean_username(username)
    auth, plaintext = _credential(password, private_key)
    await _check_unique_alias(business_id, alias)
    async with write_transaction(f"account alias {alias!r} is already used"):
        previous = await _claim_default(business_id) if is_default else None
        account = await Account.create(
            business_id=business_id,
            alias=alias,
            username=username,
            auth=auth,
            secret=SecretBox(settings.secret_key).encrypt(plaintext),
            is_default=is_default,
            description=clean_description(description),
            created_by=actor.username,
        )
        await record_operation(
            actor,
            op_type="create",
            op_target="account",
            op_desc=f"create account {alias}",
            business_id=business_id,
            inst_id=account.id,
            cur_data={**_snapshot(account), "previous_default": previous},
        )
    return account


async def update_account(principal: Principal, settings: Settings, account_id: int, changes: dict[str, Any]) -> Account:
    """Changes by column name; a new password or key replaces the secret (and the auth kind)."""
    account = await get_account(principal, account_id, WRITE_ROLE)
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise ValidationFailed(f"{sorted(unknown)[0]} cannot be changed here", field=sorted(unknown)[0])
    columns: dict[str, Any] = {}
    if "alias" in changes:
        columns["alias"] = clean_name(changes["alias"], field="alias", label="account alias", max_length=128)
        await _check_unique_alias(account.business_id, columns["alias"], exclude_id=account_id)
    if "username" in changes:
        columns["username"] = _clean_username(changes["username"])
    if "description" in changes:
        columns["description"] = clean_description(changes["description"])
    secret_changed = changes.get("password") is not None or changes.get("private_key") is not None
    if secret_changed:
        auth, plaintext = _credential(changes.get("password"), changes.get("private_key"))
        columns["auth"] = auth
        columns["secret"] = SecretBox(settings.secret_key).encrypt(plaintext)
    make_default = changes.get("is_default")
    if make_default is not None:
        columns["is_default"] = bool(make_default)
    before = _snapshot(account)
    async with write_transaction("account alias is already used"):
        previous = await _claim_default(account.business_id, exclude_id=account_id) if make_default else None
        account.update_from_dict(columns)
        await account.save()
        await record_operation(
            principal,
            op_type="update",
            op_target="account",
            op_desc=f"update account {account.alias}",
            business_id=account.business_id,
            inst_id=account_id,
            pre_data=before,
            cur_data={**_snapshot(account), "secret_changed": secret_changed, "previous_default": previous},
        )
    return account


async def delete_account(principal: Principal, account_id: int) -> None:
    """Refused while a job template step logs in with it (by id or alias)."""
    account = await get_account(principal, account_id, WRITE_ROLE)
    configs = await JobStep.filter(template__business_id=account.business_id).values_list("config", flat=True)
    if any(_names_account(config, account) for config in configs):
        raise Conflict(f"account {account.alias!r} is used by a job template", code="ACCOUNT_IN_USE")
    before = _snapshot(account)
    async with write_transaction():
        await account.delete()
        await record_operation(
            principal,
            op_type="delete",
            op_target="account",
            op_desc=f"delete account {account.alias}",
            business_id=account.business_id,
            inst_id=account_id,
            pre_data=before,
        )


async def list_accounts(principal: Principal, business_id: int) -> list[dict[str, Any]]:
    """bk get_os_account: every account of a business, without secrets, oldest first."""
    await get_business(principal, business_id, READ_ROLE)
    return await Account.filter(business_id=business_id).order_by("id").values(*PUBLIC_COLUMNS)


# --- For the executors: no role checks here (they were made when the run was accepted). ---


async def default_account(business_id: int) -> Account | None:
    return await Account.get_or_none(business_id=business_id, is_default=True)


async def account_by_alias(business_id: int, alias: str) -> Account | None:
    return await Account.get_or_none(business_id=business_id, alias=alias)


async def resolve_account(business_id: int, *, account_id: int | None = None, alias: str | None = None) -> Account:
    """bk-job's order: `account_id` wins, then `account_alias`, else the business's default account."""
    if account_id is not None:
        found = await Account.get_or_none(id=account_id, business_id=business_id)
        missing, field = f"account {account_id}", "accountId"
    elif alias:
        found = await account_by_alias(business_id, alias)
        missing, field = f"account {alias!r}", "accountAlias"
    else:
        found = await default_account(business_id)
        missing, field = "default account: name one, or mark one as default", "accountAlias"
    if found is None:
        raise NotFound(f"business {business_id} has no {missing}", field=field, code="ACCOUNT_NOT_FOUND")
    return found


async def decrypt_account_secret(account: Account, settings: Settings) -> str:
    """The password or the private key text (OpenSSH/PEM), per `account.auth`."""
    return SecretBox(settings.secret_key).decrypt(account.secret)


# --- helpers ---


def _credential(password: str | None, private_key: str | None) -> tuple[AccountAuth, str]:
    if password is not None and private_key is not None:
        raise ValidationFailed("give either a password or a private key, not both", field="password")
    if password is None and private_key is None:
        raise ValidationFailed("a password or a private key is required", field="password")
    if password is not None:
        if not isinstance(password, str) or not password or len(password) > _MAX_SECRET:
            raise ValidationFailed("password must be non-empty text", field="password")
        return AccountAuth.PASSWORD, password
    assert private_key is not None
    if not isinstance(private_key, str) or not private_key.strip() or len(private_key) > _MAX_SECRET:
        raise ValidationFailed("private key must be non-empty text", field="privateKey")
    try:
        asyncssh.import_private_key(private_key)
    except (ValueError, TypeError) as exc:  # KeyImportError is a ValueError
        # The reason ("Invalid private key", "Passphrase must be specified…") never quotes the key.
        raise ValidationFailed(f"private key cannot be used: {exc}", field="privateKey") from exc
    return AccountAuth.KEY, private_key


def _clean_username(value: Any) -> str:
    username = clean_name(value, field="username", label="OS user name", max_length=128)
    if any(c.isspace() or not c.isprintable() for c in username):
        raise ValidationFailed("OS user name must not contain spaces or control characters", field="username")
    return username


async def _check_unique_alias(business_id: int, alias: str, exclude_id: int | None = None) -> None:
    query = Account.filter(business_id=business_id, alias=alias)
    if exclude_id is not None:
        query = query.exclude(id=exclude_id)
    if await query.exists():
        raise Duplicate(f"account alias {alias!r} is already used in business {business_id}", field="alias")


async def _claim_default(business_id: int, exclude_id: int | None = None) -> str | None:
    """Clear the current default (inside the caller's transaction); returns its alias for the audit.

    Locking the business row serialises concurrent default switches on PostgreSQL (SQLite has one
    writer anyway and ignores FOR UPDATE), so two defaults can never both survive.
    """
    await Business.select_for_update().get(id=business_id)
    current = Account.filter(business_id=business_id, is_default=True)
    if exclude_id is not None:
        current = current.exclude(id=exclude_id)
    previous = await current.values_list("alias", flat=True)
    if previous:
        await current.update(is_default=False)
    return str(previous[0]) if previous else None


def _names_account(config: Any, account: Account) -> bool:
    """The step logs in with it, or one of its file sources is read with it."""
    if not isinstance(config, dict):
        return False
    if config.get("account_id") == account.id or config.get("account_alias") == account.alias:
        return True
    return any(_names_account(source, account) for source in config.get("sources") or [])


def _snapshot(account: Account) -> dict[str, Any]:
    """The audit image: never the secret, not even encrypted."""
    return {
        "bk_account_id": account.id,
        "bk_biz_id": account.business_id,
        "alias": account.alias,
        "username": account.username,
        "auth": str(account.auth),
        "is_default": account.is_default,
        "description": account.description,
    }
