"""The unmodified huaweicloudsdk clients, pointed at the test server, and hand-signed requests.

Importing huaweicloudsdkcore writes `$HOME/.huaweicloud/application_id`; it is imported here with
HOME pointed at a throwaway directory so the tests leave nothing in the real home.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

_home = os.environ.get("HOME")
os.environ["HOME"] = tempfile.mkdtemp(prefix="opsgraph-hwsdk-")
try:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer
    from huaweicloudsdkhss.v5 import HssClient
finally:
    if _home is None:
        os.environ.pop("HOME", None)
    else:
        os.environ["HOME"] = _home
# requests honours proxy variables; loopback must never go through one.
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))

DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def hss_client(url: str, ak: str, sk: str, project_id: str) -> HssClient:
    """What real-clients-on-the-wire §2.2 found to work against plain http on 127.0.0.1."""
    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True
    config.timeout = (5, 30)
    credentials = BasicCredentials(ak, sk, project_id)
    return HssClient.new_builder().with_http_config(config).with_credentials(credentials).with_endpoints([url]).build()


def ces_client(url: str, ak: str, sk: str, project_id: str) -> Any:
    """The CES client, built the same way (imported on first use: the HSS tests do not need it)."""
    from huaweicloudsdkces.v3 import CesClient

    config = HttpConfig.get_default_config()
    config.timeout = (5, 30)
    credentials = BasicCredentials(ak, sk, project_id)
    return CesClient.new_builder().with_http_config(config).with_credentials(credentials).with_endpoints([url]).build()


def signed_request(
    url: str,
    method: str,
    path: str,
    *,
    ak: str,
    sk: str,
    project_id: str | None = None,
    query: list[tuple[str, Any]] | None = None,
    body: bytes = b"",
    content_type: str = "application/json",
    date: datetime | None = None,
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Sign with the SDK's own Signer (optionally with a preset X-Sdk-Date) and send with httpx."""
    host = url.split("://", 1)[1]
    headers: dict[str, str] = {"Content-Type": content_type, **(extra_headers or {})}
    if project_id is not None:
        headers["X-Project-Id"] = project_id
    if date is not None:
        headers["X-Sdk-Date"] = date.strftime(DATE_FORMAT)
    request = SdkRequest(
        method=method,
        schema="http",
        host=host,
        resource_path=path,
        query_params=list(query or []),
        header_params=headers,
        body=body,
    )
    signed = Signer(BasicCredentials(ak, sk, project_id)).sign(request)
    return httpx.request(method, f"{url}{signed.uri}", headers=dict(signed.header_params), content=body, timeout=30)


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(tz=UTC).replace(tzinfo=None) - timedelta(minutes=minutes)
