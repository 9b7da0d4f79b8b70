"""The server's SDK-HMAC-SHA256 verification against the SDK's own Signer (no server needed).

Every request here is signed by `huaweicloudsdkcore.signer.Signer`, then verified by
`opsgraph.compat_rest.huawei.signature` from the parts a server receives.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from opsgraph.compat_rest.huawei import signature as sig
from opsgraph.core.errors import AuthenticationError
from tests.huawei.sdk import BasicCredentials, SdkRequest, Signer

AK, SK = "TESTAK0123456789", "test-secret-key"
PROJECT = "0123456789abcdef0123456789abcdef"


def _sdk_signed(
    path: str,
    *,
    query: list[tuple[str, object]] | None = None,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    date: str | None = None,
    method: str = "POST",
) -> tuple[sig.ReceivedRequest, sig.SignedAuthorization]:
    params = {"Content-Type": "application/json", "User-Agent": "huaweicloud-usdk-python/3.0", **(headers or {})}
    params["X-Project-Id"] = PROJECT
    if date is not None:
        params["X-Sdk-Date"] = date
    request = SdkRequest(
        method=method,
        schema="http",
        host="127.0.0.1:8080",
        resource_path=path,
        query_params=list(query or []),
        header_params=params,
        body=body,
    )
    signed = Signer(BasicCredentials(AK, SK, PROJECT)).sign(request)
    wire = urlsplit(f"http://x{signed.uri}")
    # What a server receives: header values as bytes on the wire, decoded (latin-1 → UTF-8).
    received = {
        k.lower(): [v.encode("latin-1").decode("utf-8")]
        for k, v in signed.header_params.items()
        if k != "Authorization"
    }
    parts = sig.ReceivedRequest(method, wire.path, wire.query, received, signed.body or b"")
    return parts, sig.parse_authorization(signed.header_params["Authorization"])


def _verifies(parts: sig.ReceivedRequest, auth: sig.SignedAuthorization, secret: str = SK) -> bool:
    return sig.signature_matches(sig.expected_signature(parts, auth, secret), auth.signature)


def _now() -> str:
    return datetime.now(tz=UTC).strftime(sig.DATE_FORMAT)


def test_known_answer_vector_from_the_reference() -> None:
    body = (
        b'{"task_type": "cluster_scan", "cluster_scan_info": {"scan_type_list": ["cluster_vul"], '
        b'"range_type": "all_cluster"}}'
    )
    headers = {
        "content-type": ["application/json"],
        "host": ["127.0.0.1:8080"],
        "user-agent": ["huaweicloud-usdk-python/3.0"],
        "x-project-id": [PROJECT],
        "x-sdk-date": ["20240101T000000Z"],
    }
    parts = sig.ReceivedRequest(
        "POST", f"/v5/{PROJECT}/common/task", "enterprise_project_id=all_granted_eps", headers, body
    )
    names = ("content-type", "host", "user-agent", "x-project-id", "x-sdk-date")
    canonical = sig.canonical_request(parts, names)
    assert sig.payload_hash(parts, names) == "b9469d37c9e672cfcf332f3dceecf89071ce3ec881e71ffefcd58beba140a9a0"
    assert sig.hashlib.sha256(canonical.encode()).hexdigest() == (
        "e7163c26abca851349534ed937065b4fb341a0255cf1b29e4b9854e802019188"
    )
    to_sign = sig.string_to_sign("20240101T000000Z", canonical)
    assert sig.signature(SK, to_sign) == "55282a527c7ac8298d8dc68ca83af81b0ff3eb4db98478831b591de437008e78"


@pytest.mark.parametrize(
    ("path", "query", "body", "headers"),
    [
        (f"/v5/{PROJECT}/common/task", [("enterprise_project_id", "all_granted_eps")], b'{"task_type": "x"}', {}),
        (f"/v5/{PROJECT}/common/task", [], b"", {}),
        (f"/v5/{PROJECT}/a b/~x", [("q", "a b+c/é"), ("a", "1"), ("a", "0"), ("flag", True)], b"{}", {}),
        (f"/v3/{PROJECT}/agent-invocations/batch-create", [], b'{"n": "\xc3\xa9"}', {"X-Custom": " spaced é "}),
    ],
)
def test_sdk_signatures_verify(
    path: str, query: list[tuple[str, object]], body: bytes, headers: dict[str, str]
) -> None:
    parts, auth = _sdk_signed(path, query=query, body=body, headers=headers)
    assert auth.access_key == AK
    assert _verifies(parts, auth)


def test_multipart_body_is_unsigned_only_for_form_content() -> None:
    form = "multipart/form-data; boundary=abc"
    parts, auth = _sdk_signed(
        f"/v5/{PROJECT}/common/files/batch-upload", body=b"--abc--", headers={"Content-Type": form}
    )
    assert "x-sdk-content-sha256" in auth.signed_headers
    assert _verifies(parts, auth)
    swapped = sig.ReceivedRequest(parts.method, parts.raw_path, parts.raw_query, parts.headers, b"--other--")
    assert _verifies(swapped, auth)  # the SDK leaves form bodies out of the signature
    as_json = {**parts.headers, "x-sdk-content-sha256": ["UNSIGNED-PAYLOAD"], "content-type": ["application/json"]}
    with pytest.raises(AuthenticationError, match="UNSIGNED-PAYLOAD"):
        _verifies(sig.ReceivedRequest(parts.method, parts.raw_path, parts.raw_query, as_json, b"{}"), auth)


@pytest.mark.parametrize("change", ["body", "path", "query", "method", "header", "secret"])
def test_any_change_breaks_the_signature(change: str) -> None:
    parts, auth = _sdk_signed(f"/v5/{PROJECT}/common/task", query=[("k", "v")], body=b'{"a": 1}')
    secret = SK
    if change == "body":
        parts = sig.ReceivedRequest(parts.method, parts.raw_path, parts.raw_query, parts.headers, b'{"a": 2}')
    elif change == "path":
        parts = sig.ReceivedRequest(parts.method, parts.raw_path + "x", parts.raw_query, parts.headers, parts.body)
    elif change == "query":
        parts = sig.ReceivedRequest(parts.method, parts.raw_path, "k=w", parts.headers, parts.body)
    elif change == "method":
        parts = sig.ReceivedRequest("PUT", parts.raw_path, parts.raw_query, parts.headers, parts.body)
    elif change == "header":
        parts = sig.ReceivedRequest(
            parts.method, parts.raw_path, parts.raw_query, {**parts.headers, "host": ["evil:1"]}, parts.body
        )
    else:
        secret = "another-secret"
    assert not _verifies(parts, auth, secret)


def test_stale_and_malformed_dates_are_refused() -> None:
    stale = (datetime.now(tz=UTC) - timedelta(minutes=20)).strftime(sig.DATE_FORMAT)
    parts, auth = _sdk_signed(f"/v5/{PROJECT}/common/task", date=stale)
    with pytest.raises(AuthenticationError, match="from the server time"):
        _verifies(parts, auth)
    future = (datetime.now(tz=UTC) + timedelta(minutes=14)).strftime(sig.DATE_FORMAT)
    assert _verifies(*_sdk_signed(f"/v5/{PROJECT}/common/task", date=future))
    with pytest.raises(AuthenticationError, match="X-Sdk-Date must look like"):
        sig.check_date("yesterday")
    assert _now()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("SDK-HMAC-SM3 Access=a, SignedHeaders=host, Signature=00", "unsupported signing algorithm"),
        ("V11-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00", "unsupported signing algorithm"),
        ("SDK-HMAC-SHA256 Access=a, Signature=00", "needs Access, SignedHeaders and Signature"),
        ("SDK-HMAC-SHA256 Access=a, SignedHeaders=Host;X, Signature=00", "lower-case header names"),
        ("SDK-HMAC-SHA256 garbage", "malformed Authorization"),
    ],
)
def test_malformed_authorization_headers(header: str, message: str) -> None:
    with pytest.raises(AuthenticationError, match=message):
        sig.parse_authorization(header)


def test_signed_headers_must_cover_date_and_host() -> None:
    parts, auth = _sdk_signed(f"/v5/{PROJECT}/common/task")
    narrowed = sig.SignedAuthorization(auth.access_key, ("content-type", "x-sdk-date"), auth.signature)
    with pytest.raises(AuthenticationError, match="must include host"):
        _verifies(parts, narrowed)
