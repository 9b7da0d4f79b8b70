"""`POST /api/encrypt_rsa/fetch_public_keys/` (bk-nodeman apps/core/encrypt), with the same app
authentication as the ESB paths; also reachable as `/api/c/compapi/v2/encrypt_rsa/fetch_public_keys/`.

Example:
    POST /api/encrypt_rsa/fetch_public_keys/ {"names": ["DEFAULT"]}
    # data: [{"name": "DEFAULT", "content": "-----BEGIN PUBLIC KEY-----…", "cipher_type": "RSA",
    #         "description": "…"}]
"""

from __future__ import annotations

from typing import Any

from opsgraph.compat_rest.bk import BK_ROUTES
from opsgraph.compat_rest.bk.params import Params
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import NotFound, ValidationFailed
from opsgraph.core.rsa_keys import DEFAULT_NAME, server_keys
from opsgraph.core.settings import Settings

SYSTEM = "encrypt_rsa"
NAME = "fetch_public_keys"


@BK_ROUTES.handler(SYSTEM, NAME, summary="The server's RSA public keys (PEM) for encrypting credentials")
async def fetch_public_keys(params: Params, principal: Principal, settings: Settings) -> list[dict[str, Any]]:
    names = params.get_list("names", [DEFAULT_NAME], required=False) or [DEFAULT_NAME]
    if not all(isinstance(name, str) for name in names):
        raise ValidationFailed("names must be a list of key names", field="names")
    unknown = sorted(set(names) - {DEFAULT_NAME})
    if unknown:
        raise NotFound(f"no RSA key named {', '.join(unknown)} (only {DEFAULT_NAME})", field="names")
    keys = server_keys(settings.data_dir)
    return [
        {
            "name": DEFAULT_NAME,
            "content": keys.public_pem,
            "cipher_type": "RSA",
            "description": "OpsGraph credentials key: PKCS#1 v1.5, base64 ciphertext",
        }
    ]
