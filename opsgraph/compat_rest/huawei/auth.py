"""Who is calling a Huawei-dialect path: an AK/SK signature (`SDK-HMAC-SHA256`) or an `X-Auth-Token`.

- Signature: the access key is looked up, its secret decrypted and the signature recomputed over
  the request as received (see `signature.py`); a wrong signature, an unknown or disabled key, a
  malformed header or an `X-Sdk-Date` more than 15 minutes off is 401 `APIGW.0301`. The key's
  project must be the `{project_id}` of the path (and the `X-Project-Id` header, when sent), else
  403 `APIGW.0302`.
- `X-Auth-Token`: our own login token (the JWT `login` / `opsgraph admin issue-token` gives). It
  names a user, not a project, so any project id in the path is accepted for it.
An `Authorization` header wins over a token when both are sent, as on Huawei's gateway.

Example:
    caller = await authenticate(huawei_request, settings)
    caller.principal, caller.business_id      # business_id: the key's --biz binding, if any
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from opsgraph.compat_rest.huawei.errors import forbidden, unauthenticated
from opsgraph.compat_rest.huawei.request import HuaweiRequest, decoded_headers
from opsgraph.compat_rest.huawei.signature import (
    ReceivedRequest,
    expected_signature,
    parse_authorization,
    signature_matches,
)
from opsgraph.core.auth.principal import Principal
from opsgraph.core.errors import AuthenticationError
from opsgraph.core.settings import Settings
from opsgraph.resolvers.access_keys import find_signing_key, principal_for_key
from opsgraph.resolvers.identity import principal_from_token

TOKEN_HEADER = "x-auth-token"
PROJECT_HEADER = "x-project-id"
# Unknown keys still cost one HMAC, so response timing does not tell which access keys exist.
_DUMMY_SECRET = hashlib.sha256(b"opsgraph-unknown-access-key").hexdigest()
_SIGNATURE_FAILED = "verify aksk signature fail"


@dataclass(frozen=True)
class HuaweiCaller:
    principal: Principal
    access_key: str | None = None  # None: authenticated by token
    project_id: str | None = None  # the key's project; None for token callers
    business_id: int | None = None  # the business the key is confined to


async def authenticate(request: HuaweiRequest, settings: Settings) -> HuaweiCaller:
    authorization = request.headers.get("authorization")
    if authorization:
        caller = await _by_signature(request, authorization, settings)
    elif request.headers.get(TOKEN_HEADER):
        caller = await _by_token(request.headers[TOKEN_HEADER], settings)
    else:
        raise unauthenticated("sign the request (SDK-HMAC-SHA256 with an access key) or send X-Auth-Token")
    _check_project(request, caller)
    return caller


async def _by_signature(request: HuaweiRequest, authorization: str, settings: Settings) -> HuaweiCaller:
    try:
        auth = parse_authorization(authorization)
        received = ReceivedRequest(
            method=request.method,
            raw_path=request.raw_path,
            raw_query=request.raw_query,
            headers=decoded_headers(request.headers),
            body=request.body,
        )
        key = await find_signing_key(auth.access_key, settings)
        expected = expected_signature(received, auth, key.secret if key else _DUMMY_SECRET)
    except AuthenticationError as exc:
        raise unauthenticated(exc.message) from exc
    if key is None or not signature_matches(expected, auth.signature):
        # One message for an unknown key and a wrong signature: access keys are not enumerable.
        raise unauthenticated(_SIGNATURE_FAILED)
    try:
        principal = await principal_for_key(key)
    except AuthenticationError as exc:
        raise unauthenticated(exc.message) from exc
    return HuaweiCaller(
        principal=principal, access_key=key.access_key, project_id=key.project_id, business_id=key.business_id
    )


async def _by_token(token: str, settings: Settings) -> HuaweiCaller:
    try:
        return HuaweiCaller(principal=await principal_from_token(token.strip(), settings))
    except AuthenticationError as exc:
        raise unauthenticated(exc.message) from exc


def _check_project(request: HuaweiRequest, caller: HuaweiCaller) -> None:
    in_path = request.path_params.get("project_id")
    in_header = request.headers.get(PROJECT_HEADER)
    if in_path is not None and in_header is not None and in_header != in_path:
        raise forbidden(f"X-Project-Id {in_header!r} is not the project {in_path!r} of the path")
    if caller.project_id is not None and in_path is not None and in_path != caller.project_id:
        raise forbidden(f"the access key belongs to another project than {in_path!r}")
