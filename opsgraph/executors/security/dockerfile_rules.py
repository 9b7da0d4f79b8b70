"""Static checks of a Dockerfile: one finding per rule (passed or not), evidence naming the lines.

Instructions are read as Docker does: comments dropped, `\\` continuations joined, keywords
case-insensitive; multi-stage builds are judged on the stage that becomes the image (the last).

Example:
    findings = check_dockerfile("FROM nginx:latest\\nRUN echo hi\\n")
    # dockerfile.image_tag fails (":latest"), dockerfile.user fails (no USER: runs as root)
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from opsgraph.executors.security.findings import Finding, evidence_list
from opsgraph.models.security import FindingSeverity

HIGH, MEDIUM, LOW = FindingSeverity.HIGH, FindingSeverity.MEDIUM, FindingSeverity.LOW
SECRET_NAME = re.compile(r"(PASSW(OR)?D|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_ROOT_USERS = {"root", "0", "root:root", "0:0"}


@dataclass(frozen=True)
class Instruction:
    line: int  # where it starts (1-based)
    keyword: str  # upper case
    arguments: str


def instructions(text: str) -> list[Instruction]:
    found: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped, as Docker does
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        keyword, _, arguments = " ".join(pending).strip().partition(" ")
        found.append(Instruction(start, keyword.upper(), arguments.strip()))
        pending = []
    if pending:
        keyword, _, arguments = " ".join(pending).strip().partition(" ")
        found.append(Instruction(start, keyword.upper(), arguments.strip()))
    return found


def _final_stage(items: list[Instruction]) -> list[Instruction]:
    starts = [index for index, item in enumerate(items) if item.keyword == "FROM"]
    return items[starts[-1] :] if starts else items


def image_reference_problem(image: str) -> str | None:
    """Why an image reference is not pinned: ':latest' or no tag at all (a digest pins it)."""
    if "@sha256:" in image or image == "scratch" or "$" in image:
        return None  # pinned by digest, empty base, or decided by a build argument
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "no tag (means :latest)"
    return ":latest" if name.endswith(":latest") else None


def check_dockerfile(text: str) -> list[Finding]:
    items = instructions(text)
    return [
        _user(items),
        _image_tags(items),
        _remote_add(items),
        _secrets(items),
        _pipe_to_shell(items),
        _ssh_port(items),
        _healthcheck(items),
    ]


def _finding(rule_id: str, severity: FindingSeverity, title: str, problems: list[str], ok: str) -> Finding:
    evidence = evidence_list(problems) if problems else ok
    return Finding(rule_id, "dockerfile", severity, title, not problems, evidence)


def _user(items: list[Instruction]) -> Finding:
    users = [item for item in _final_stage(items) if item.keyword == "USER"]
    title = "The image runs as a non-root user"
    if not users:
        return _finding("dockerfile.user", HIGH, title, ["no USER instruction: the container runs as root"], "")
    last = users[-1]
    user = (last.arguments.split() or ["root"])[0].lower()
    described = f"line {last.line}: USER {last.arguments}"
    return _finding("dockerfile.user", HIGH, title, [described] if user in _ROOT_USERS else [], described)


def _image_tags(items: list[Instruction]) -> Finding:
    stages: set[str] = set()
    problems = []
    for item in items:
        if item.keyword != "FROM":
            continue
        words = [w for w in item.arguments.split() if not w.startswith("--")]
        if not words:
            continue
        image = words[0]
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2].lower())
        if image.lower() in stages:
            continue  # an earlier stage of this build, not a registry image
        problem = image_reference_problem(image)
        if problem:
            problems.append(f"line {item.line}: FROM {image} ({problem})")
    return _finding(
        "dockerfile.image_tag", MEDIUM, "Base images are pinned to a version", problems, "every FROM names a tag"
    )


def _remote_add(items: list[Instruction]) -> Finding:
    problems = [
        f"line {item.line}: ADD {item.arguments[:120]}"
        for item in items
        if item.keyword == "ADD" and re.search(r"(^|\s)(https?|ftp)://", item.arguments)
    ]
    return _finding(
        "dockerfile.add_remote_url",
        MEDIUM,
        "No ADD of remote URLs (unverified downloads)",
        problems,
        "no ADD of a remote URL",
    )


def _env_pairs(item: Instruction) -> list[tuple[str, str]]:
    try:
        words = shlex.split(item.arguments, posix=True)
    except ValueError:
        words = item.arguments.split()
    if item.keyword == "ENV" and words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]  # the legacy `ENV NAME value` form
    return [(w.partition("=")[0], w.partition("=")[2]) for w in words]


def _secrets(items: list[Instruction]) -> Finding:
    problems = []
    for item in items:
        if item.keyword not in {"ENV", "ARG"}:
            continue
        for name, value in _env_pairs(item):
            if SECRET_NAME.search(name) and value and not value.startswith("$"):
                problems.append(f"line {item.line}: {item.keyword} {name}=***")
    return _finding(
        "dockerfile.secrets_in_env",
        HIGH,
        "No secrets baked into ENV or ARG",
        problems,
        "no secret-looking ENV/ARG with a literal value",
    )


def _pipe_to_shell(items: list[Instruction]) -> Finding:
    problems = [
        f"line {item.line}: RUN {item.arguments[:120]}"
        for item in items
        if item.keyword == "RUN" and re.search(r"\b(curl|wget)\b[^|;&]*\|\s*(ba|z|da)?sh\b", item.arguments)
    ]
    return _finding("dockerfile.curl_pipe_shell", MEDIUM, "No downloaded script piped into a shell", problems, "none")


def _ssh_port(items: list[Instruction]) -> Finding:
    problems = [
        f"line {item.line}: EXPOSE {item.arguments}"
        for item in _final_stage(items)
        if item.keyword == "EXPOSE" and any(p.split("/")[0] == "22" for p in item.arguments.split())
    ]
    return _finding("dockerfile.expose_ssh", MEDIUM, "The image does not expose SSH (port 22)", problems, "no")


def _healthcheck(items: list[Instruction]) -> Finding:
    checks = [item for item in _final_stage(items) if item.keyword == "HEALTHCHECK"]
    problems = [] if checks and not checks[-1].arguments.upper().startswith("NONE") else ["no HEALTHCHECK"]
    return _finding("dockerfile.healthcheck", LOW, "The image declares a HEALTHCHECK", problems, "declared")
