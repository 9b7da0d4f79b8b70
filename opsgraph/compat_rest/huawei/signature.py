"""`SDK-HMAC-SHA256` request signatures, rebuilt from the request as received (no database here).

Mirrors `huaweicloudsdkcore/signer/signer.py` (`Signer.sign`) step by step:
    CanonicalRequest = METHOD \\n CanonicalURI \\n CanonicalQuery \\n CanonicalHeaders \\n SignedHeaders \\n PayloadHash
    StringToSign     = "SDK-HMAC-SHA256" \\n X-Sdk-Date \\n hex(sha256(CanonicalRequest))
    Signature        = hex(HMAC-SHA256(SK, StringToSign))
The CanonicalURI always ends with "/" (the wire path need not); the canonical query sorts the
decoded (key, value) pairs and re-encodes them; the payload hash is over the raw body bytes.

Example:
    auth = parse_authorization(headers["authorization"])
    expected = signature(secret, string_to_sign(date, canonical_request(received, auth.signed_headers)))
    hmac.compare_digest(expected.encode(), auth.signature.encode())
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote

from opsgraph.core.errors import AuthenticationError

ALGORITHM = "SDK-HMAC-SHA256"
DATE_HEADER = "x-sdk-date"
CONTENT_HASH_HEADER = "x-sdk-content-sha256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
# What Huawei's API gateway allows between the client's clock and its own.
MAX_CLOCK_SKEW = timedelta(minutes=15)
# The SDK leaves the body out of the signature only for content types it cannot canonicalise.
_HASHED_CONTENT_TYPES = ("application/json", "application/bson")
_HEX_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HEADER_NAME = re.compile(r"^[a-z0-9!#$%&'*+.^`|~-]+$")


@dataclass(frozen=True)
class SignedAuthorization:
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


@dataclass(frozen=True)
class ReceivedRequest:
    """The parts of a request the signature covers, as they arrived."""

    method: str
    raw_path: str  # percent-encoded, without the query
    raw_query: str
    headers: Mapping[str, list[str]]  # lower-case name → every value received, UTF-8 decoded
    body: bytes


def parse_authorization(value: str) -> SignedAuthorization:
    """`SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex` (the SDK's exact layout, spaces tolerated)."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise AuthenticationError(f"unsupported signing algorithm {algorithm[:40]!r}: sign with {ALGORITHM}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, separator, content = item.strip().partition("=")
        if not separator or name in parts:
            raise AuthenticationError("malformed Authorization header")
        parts[name] = content.strip()
    access_key, signed, provided = parts.get("Access", ""), parts.get("SignedHeaders", ""), parts.get("Signature", "")
    if not access_key or not signed or not provided or set(parts) != {"Access", "SignedHeaders", "Signature"}:
        raise AuthenticationError("the Authorization header needs Access, SignedHeaders and Signature")
    names = tuple(signed.split(";"))
    if any(not _HEADER_NAME.match(name) for name in names):
        raise AuthenticationError("SignedHeaders must be lower-case header names separated by ';'")
    return SignedAuthorization(access_key=access_key, signed_headers=names, signature=provided)


def canonical_uri(raw_path: str) -> str:
    segments = unquote(raw_path).split("/")
    uri = "/".join(quote(segment, safe="~") for segment in segments)
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(raw_query: str) -> str:
    # Decoded with `unquote`, not `unquote_plus`: the SDK sends a space as %20 and a plus as %2B.
    pairs = []
    for item in raw_query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key), unquote(value)))
    pairs.sort()
    return "&".join(f"{quote(key, safe='~')}={quote(value, safe='~')}" for key, value in pairs)


def canonical_headers(headers: Mapping[str, list[str]], signed_headers: Sequence[str]) -> str:
    lines = []
    for name in signed_headers:
        values = headers.get(name) or []
        if len(values) != 1:
            # The SDK signs each header once; a missing or repeated one cannot be what it signed.
            raise AuthenticationError(f"signed header {name!r} must be sent exactly once")
        lines.append(f"{name}:{values[0].strip()}")
    return "\n".join(lines) + "\n"


def payload_hash(request: ReceivedRequest, signed_headers: Sequence[str]) -> str:
    if not request.body:
        return EMPTY_SHA256
    declared = request.headers.get(CONTENT_HASH_HEADER)
    if not declared:
        return hashlib.sha256(request.body).hexdigest()
    if CONTENT_HASH_HEADER not in signed_headers:
        raise AuthenticationError(f"{CONTENT_HASH_HEADER} must be a signed header")
    value = declared[0].strip()
    if value == UNSIGNED_PAYLOAD:
        content_type = (request.headers.get("content-type") or [""])[0].strip().lower()
        if "content-type" not in signed_headers or content_type.startswith(_HASHED_CONTENT_TYPES):
            raise AuthenticationError(f"{UNSIGNED_PAYLOAD} is only accepted for signed non-JSON content types")
        return value
    if not _HEX_SHA256.match(value) or not hmac.compare_digest(value, hashlib.sha256(request.body).hexdigest()):
        raise AuthenticationError(f"{CONTENT_HASH_HEADER} does not match the body")
    return value


def canonical_request(request: ReceivedRequest, signed_headers: Sequence[str]) -> str:
    return "\n".join(
        [
            request.method.upper(),
            canonical_uri(request.raw_path),
            canonical_query(request.raw_query),
            canonical_headers(request.headers, signed_headers),
            ";".join(signed_headers),
            payload_hash(request, signed_headers),
        ]
    )


def string_to_sign(sdk_date: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def signature(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def check_date(value: str, now: datetime | None = None) -> datetime:
    """`X-Sdk-Date` (UTC, `%Y%m%dT%H%M%SZ`) within ±15 minutes of the server's clock."""
    try:
        sent = datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as exc:
        raise AuthenticationError(f"X-Sdk-Date must look like 20240101T000000Z, got {value[:32]!r}") from exc
    skew = abs((now or datetime.now(tz=UTC)) - sent)
    if skew > MAX_CLOCK_SKEW:
        raise AuthenticationError(
            f"X-Sdk-Date {value} is {int(skew.total_seconds())} s from the server time (at most 900 s allowed)"
        )
    return sent


def expected_signature(request: ReceivedRequest, auth: SignedAuthorization, secret: str) -> str:
    """Check the request's shape and date, then compute the signature it should carry."""
    for required in (DATE_HEADER, "host"):
        if required not in auth.signed_headers:
            raise AuthenticationError(f"SignedHeaders must include {required}")
    sent = check_date((request.headers.get(DATE_HEADER) or [""])[0].strip())
    # The SDK signs the date re-formatted from what it parsed, so the server does the same.
    sdk_date = sent.strftime(DATE_FORMAT)
    return signature(secret, string_to_sign(sdk_date, canonical_request(request, auth.signed_headers)))


def signature_matches(expected: str, provided: str) -> bool:
    """Constant-time comparison; a non-ASCII `provided` is simply wrong, not an exception."""
    return hmac.compare_digest(expected.encode(), provided.encode("utf-8", "replace"))
