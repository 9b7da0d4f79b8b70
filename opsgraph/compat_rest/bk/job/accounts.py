"""bk `job` accounts: get_os_account (a business's OS logins) and get_own_db_account_list.

No answer ever carries a password or key: the GraphQL Account type has no field that could.

Example (bkapi-client-core):
    client.job.get_os_account(params={"bk_biz_id": 2})
    # data: [{"id": 2, "account": "root", "creator": "admin", "os": "Linux", "alias": "root",
    #         "bk_biz_id": 2, "create_time": "2018-03-22 15:36:31"}]
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk.common import bk_time
from opsgraph.compat_rest.bk.job.common import GET, business_id, business_list, job_route, offset_page
from opsgraph.compat_rest.bk.params import Params
from opsgraph.compat_rest.execute import load_operation
from opsgraph.core.auth.principal import Principal
from opsgraph.core.settings import Settings

# bk-job tags each account with the OS it logs into. OpsGraph accounts are SSH logins, which
# bk-job files under Linux (its Windows accounts log in through the agent, which we do not use).
ACCOUNT_OS = "Linux"


async def business_accounts(biz: int, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    """Every account of the business, oldest first; a missing or forbidden business is refused."""
    document = load_operation(__name__, "accounts.graphql")
    return await business_list(document, "accounts", {}, biz, principal, settings)


@job_route("get_os_account", methods=GET, summary="A business's OS accounts (never their secrets)")
async def get_os_account(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    biz = business_id(params)
    return [
        {
            "id": account["bkAccountId"],
            "account": account["username"],
            "creator": account["createdBy"],
            "os": ACCOUNT_OS,
            "alias": account["alias"],
            "bk_biz_id": account["bkBizId"],
            "create_time": bk_time(account["createdAt"], offset=False),
        }
        for account in await business_accounts(biz, principal, settings)
    ]


@job_route("get_own_db_account_list", methods=GET, summary="DB accounts you may use: always none here")
async def get_own_db_account_list(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    # OpsGraph runs no SQL steps and keeps no DB accounts, so the documented list
    # ([{db_account_id, db_alias}]) is always empty. The business is still checked, and paging
    # parameters validated, so a wrong request fails here as it would against bk-job.
    await business_accounts(business_id(params), principal, settings)
    return offset_page([], params)
