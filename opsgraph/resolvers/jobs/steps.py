"""Job template steps: checking and normalising each kind's `config` before it is stored.

Configs are strict (unknown keys are refused, so a typo never silently drops a setting) and use
bk ids (integers) for hosts, scripts and accounts. Normalised shapes:

- script:   {script_id + script_version_id | content + language, params, timeout,
             [account_id | account_alias], host_ids | target_variable}
- file:     {sources: [{host_id, path, [account_id | account_alias]} | {content_b64, name}], target_path,
             [owner], [mode], timeout, [account_id | account_alias], host_ids | target_variable}
- approval: {message, approvers}

`host_ids` (the targets) may be empty: the run then names the hosts; `target_variable` names an IP
variable of the template whose hosts are the targets instead (resolved when the run starts). No
account = the business's default account at run time. `mode` is stored as an integer; "0644" and 420
are the same mode. A stored script is pinned: `script_version_id` is the version the template was
saved with (or the one given), and that version runs until the template is saved again. A source
path is one file, a directory ending in "/" or a `REGEX:` pattern (executors/source_paths.py), read
with the source's own account when it names one; `target_path` may hold `[FILESRCIP]`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from opsgraph.core.errors import ValidationFailed
from opsgraph.executors.source_paths import BadSourcePath, check_target_path, parse_source_path
from opsgraph.models.jobs import Account, Script, ScriptVersion, StepKind
from opsgraph.models.topology import Host
from opsgraph.resolvers.jobs.common import MAX_CONTENT_BYTES, check_content, check_timeout, clean_name
from opsgraph.resolvers.jobs.scripts import parse_language

MAX_STEPS = 100
MAX_TARGETS = 50_000  # bk-job's cap per script step
MAX_SOURCES = 100
_ID_CHUNK = 1000  # stay far below SQLite's bound-parameter limit
_MODE = re.compile(r"^(0o|0)?([0-7]{3,4})$")


@dataclass(frozen=True)
class StepSpec:
    """A step as a caller describes it: unchecked (a bad kind or a non-object config is a domain error)."""

    kind: str
    name: str
    config: Any = field(default_factory=dict)


@dataclass
class _References:
    """Ids met while parsing, checked against the business in a few queries at the end."""

    host_ids: set[int] = field(default_factory=set)
    script_ids: set[int] = field(default_factory=set)
    account_ids: set[int] = field(default_factory=set)
    aliases: set[str] = field(default_factory=set)
    pins: list[dict[str, Any]] = field(default_factory=list)  # script step configs to pin to a version

    async def pin_versions(self) -> None:
        """Each stored script step runs one version: the one given (checked to be the script's) or
        the script's newest at save time. Two queries whatever the number of steps."""
        chosen = {c["script_version_id"] for c in self.pins if "script_version_id" in c}
        found = dict(await ScriptVersion.filter(id__in=chosen).values_list("id", "script_id")) if chosen else {}
        unpinned = {c["script_id"] for c in self.pins if "script_version_id" not in c}
        newest: dict[int, tuple[int, int]] = {}  # script id → (version number, version id)
        if unpinned:
            rows = await ScriptVersion.filter(script_id__in=unpinned).values_list("script_id", "version", "id")
            for script_id, number, version_id in rows:
                if script_id not in newest or number > newest[script_id][0]:
                    newest[script_id] = (number, version_id)
        for config in self.pins:
            if "script_version_id" in config:
                if found.get(config["script_version_id"]) != config["script_id"]:
                    raise ValidationFailed(
                        f"script {config['script_id']} has no version {config['script_version_id']}",
                        field="steps.config.script_version_id",
                    )
            else:
                config["script_version_id"] = newest[config["script_id"]][1]

    async def check(self, business_id: int) -> None:
        await _all_in_business(Script, self.script_ids, business_id, "script", "script_id")
        await _all_in_business(Account, self.account_ids, business_id, "account", "account_id")
        await _all_in_business(Host, self.host_ids, business_id, "host", "host_ids")
        if self.aliases:
            found = Account.filter(business_id=business_id, alias__in=self.aliases)
            known = set(await found.values_list("alias", flat=True))
            missing = sorted(self.aliases - known)
            if missing:
                raise ValidationFailed(f"business has no account {missing[0]!r}", field="steps.config.account_alias")


async def normalise_steps(business_id: int, specs: list[StepSpec]) -> list[tuple[StepKind, str, dict[str, Any]]]:
    """(kind, name, config) per step, in order; every reference checked to be in the business."""
    if not specs:
        raise ValidationFailed("a job template needs at least one step", field="steps")
    if len(specs) > MAX_STEPS:
        raise ValidationFailed(f"a job template has at most {MAX_STEPS} steps", field="steps")
    refs = _References()
    normalised = []
    for index, spec in enumerate(specs):
        where = f"steps[{index}]"
        try:
            kind = StepKind(str(spec.kind).strip().lower())
        except ValueError as exc:
            raise ValidationFailed(
                f"{where}: unknown step kind {spec.kind!r} (script, file or approval)", field=f"{where}.kind"
            ) from exc
        name = clean_name(spec.name, field=f"{where}.name", label="step name")
        if not isinstance(spec.config, dict):
            raise ValidationFailed(f"{where}: config must be an object", field=f"{where}.config")
        parse = {StepKind.SCRIPT: _script, StepKind.FILE: _file, StepKind.APPROVAL: _approval}[kind]
        normalised.append((kind, name, parse(_Config(spec.config, f"{where}.config"), refs)))
    await refs.check(business_id)
    await refs.pin_versions()
    return normalised


class _Config:
    """Reads keys off one config, remembering which were read so leftovers can be refused."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data, self.where, self.read = data, where, set[str]()

    def get(self, key: str) -> Any:
        self.read.add(key)
        return self.data.get(key)

    def fail(self, key: str, message: str) -> ValidationFailed:
        return ValidationFailed(f"{self.where}.{key}: {message}", field=f"{self.where}.{key}")

    def done(self, result: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            raise self.fail(unknown[0], "unknown setting")
        return result


def _int_id(config: _Config, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise config.fail(key, "must be a positive integer id")
    return value


def _account(config: _Config, refs: _References, result: dict[str, Any]) -> None:
    account_id, alias = config.get("account_id"), config.get("account_alias")
    if account_id is not None and alias is not None:
        raise config.fail("account_id", "give account_id or account_alias, not both")
    if account_id is not None:
        result["account_id"] = _int_id(config, "account_id", account_id)
        refs.account_ids.add(account_id)
    elif alias is not None:
        if not isinstance(alias, str) or not alias.strip():
            raise config.fail("account_alias", "must be a non-empty alias")
        result["account_alias"] = alias.strip()
        refs.aliases.add(alias.strip())


def _host_ids(config: _Config, refs: _References) -> list[int]:
    host_ids = config.get("host_ids") or []
    if not isinstance(host_ids, list) or len(host_ids) > MAX_TARGETS:
        raise config.fail("host_ids", f"must be a list of at most {MAX_TARGETS} bk host ids")
    unique = list(dict.fromkeys(_int_id(config, "host_ids", h) for h in host_ids))
    refs.host_ids.update(unique)
    return unique


def _targets(config: _Config, refs: _References, result: dict[str, Any]) -> None:
    """Stored hosts, or the name of the IP variable whose hosts the step targets (templates.py
    checks that the template has it)."""
    variable = config.get("target_variable")
    result["host_ids"] = _host_ids(config, refs)
    if variable is None:
        return
    if result["host_ids"]:
        raise config.fail("target_variable", "give host_ids or target_variable, not both")
    if not isinstance(variable, str) or not variable.strip():
        raise config.fail("target_variable", "must name an IP variable of the template")
    result["target_variable"] = variable.strip()


def _timeout(config: _Config) -> int:
    try:
        return check_timeout(config.get("timeout"), field=f"{config.where}.timeout")
    except ValidationFailed as exc:
        raise config.fail("timeout", exc.message) from exc


def _script(config: _Config, refs: _References) -> dict[str, Any]:
    script_id, content = config.get("script_id"), config.get("content")
    language = config.get("language")
    result: dict[str, Any] = {}
    if (script_id is None) == (content is None):
        raise config.fail("script_id", "give exactly one of script_id or content")
    version_id = config.get("script_version_id")
    if script_id is not None:
        if language is not None:
            raise config.fail("language", "a stored script has its own language")
        result["script_id"] = _int_id(config, "script_id", script_id)
        refs.script_ids.add(script_id)
        if version_id is not None:
            result["script_version_id"] = _int_id(config, "script_version_id", version_id)
        refs.pins.append(result)
    else:
        if version_id is not None:
            raise config.fail("script_version_id", "a version goes with a script_id")
        result["content"] = check_content(content, field=f"{config.where}.content")
        result["language"] = int(parse_language(1 if language is None else language))
    params = config.get("params")
    if params is not None and (not isinstance(params, str) or len(params) > 64 * 1024):
        raise config.fail("params", "must be text of at most 64 KiB")
    result["params"] = params or ""
    result["timeout"] = _timeout(config)
    _account(config, refs, result)
    _targets(config, refs, result)
    return config.done(result)


def _source(config: _Config, index: int, raw: Any, refs: _References) -> tuple[dict[str, Any], int]:
    """One file source and the bytes it uploads."""
    key = f"sources[{index}]"
    if not isinstance(raw, dict):
        raise config.fail(key, "must be an object")
    item = _Config(raw, f"{config.where}.{key}")
    if item.get("host_id") is not None:
        source: dict[str, Any] = {"host_id": _int_id(item, "host_id", item.get("host_id"))}
        refs.host_ids.add(source["host_id"])
        try:
            source["path"] = parse_source_path(item.get("path")).text
        except BadSourcePath as exc:
            raise item.fail("path", str(exc)) from exc
        _account(item, refs, source)  # who reads it; none = the step's account
        return item.done(source), 0
    encoded, name = item.get("content_b64"), item.get("name")
    if not isinstance(encoded, str):
        raise item.fail("host_id", "give {host_id, path} or {content_b64, name}")
    try:
        size = len(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise item.fail("content_b64", "is not valid base64") from exc
    if not isinstance(name, str) or name in {"", ".", ".."} or "/" in name or "\0" in name or len(name) > 255:
        raise item.fail("name", "must be a plain file name")
    return item.done({"content_b64": encoded, "name": name}), size


def _file(config: _Config, refs: _References) -> dict[str, Any]:
    sources = config.get("sources")
    if not isinstance(sources, list) or not 1 <= len(sources) <= MAX_SOURCES:
        raise config.fail("sources", f"must list 1..{MAX_SOURCES} sources")
    parsed = [_source(config, i, raw, refs) for i, raw in enumerate(sources)]
    if sum(size for _, size in parsed) > MAX_CONTENT_BYTES:
        raise config.fail("sources", f"uploaded content exceeds {MAX_CONTENT_BYTES} bytes")
    try:
        target_path = check_target_path(config.get("target_path"))
    except BadSourcePath as exc:
        raise config.fail("target_path", str(exc)) from exc
    result: dict[str, Any] = {"sources": [s for s, _ in parsed], "target_path": target_path}
    owner = config.get("owner")
    if owner is not None:
        if not isinstance(owner, str) or not owner or any(c.isspace() for c in owner):
            raise config.fail("owner", "must be a user name (optionally user:group)")
        result["owner"] = owner
    mode = config.get("mode")
    if mode is not None:
        result["mode"] = _mode(config, mode)
    result["timeout"] = _timeout(config)
    _account(config, refs, result)
    _targets(config, refs, result)
    return config.done(result)


def _mode(config: _Config, mode: Any) -> int:
    """An octal string ("0644", "755") or the integer itself (420)."""
    if isinstance(mode, str):
        match = _MODE.match(mode.strip())
        if match is None:
            raise config.fail("mode", 'must be an octal permission such as "0644"')
        return int(match.group(2), 8)
    if isinstance(mode, bool) or not isinstance(mode, int) or not 0 <= mode <= 0o7777:
        raise config.fail("mode", 'must be an octal permission such as "0644"')
    return mode


def _approval(config: _Config, refs: _References) -> dict[str, Any]:
    message = config.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > 4096):
        raise config.fail("message", "must be text of at most 4096 characters")
    approvers = config.get("approvers") or []
    if not isinstance(approvers, list) or not all(isinstance(a, str) and a.strip() for a in approvers):
        raise config.fail("approvers", "must be a list of user names")
    return config.done({"message": message or "", "approvers": [a.strip() for a in approvers]})


async def _all_in_business(model: Any, ids: set[int], business_id: int, label: str, key: str) -> None:
    ordered = sorted(ids)
    for offset in range(0, len(ordered), _ID_CHUNK):
        chunk = ordered[offset : offset + _ID_CHUNK]
        found = set(await model.filter(id__in=chunk, business_id=business_id).values_list("id", flat=True))
        missing = [pk for pk in chunk if pk not in found]
        if missing:
            raise ValidationFailed(
                f"{label} {missing[0]} does not exist in business {business_id}", field=f"steps.config.{key}"
            )


def audit_config(config: dict[str, Any]) -> dict[str, Any]:
    """A step config for the audit log: inline content replaced by its size (it can be 1 MiB)."""
    shown = dict(config)
    if "content" in shown:
        shown["content"] = f"<{len(str(shown['content']).encode())} bytes>"
    if "sources" in shown:
        shown["sources"] = [
            {**s, "content_b64": f"<{len(s['content_b64'])} base64 chars>"} if "content_b64" in s else s
            for s in shown["sources"]
        ]
    if len(shown.get("host_ids", [])) > 100:
        shown["host_ids"] = f"<{len(shown['host_ids'])} hosts>"
    return shown
