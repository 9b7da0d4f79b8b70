"""What a file source path asks for: one file, a whole directory, or the files a `REGEX:` pattern matches.

The forms are bk-job's (its FilePathUtils / JobFile): a path ending in "/" is a directory, copied
recursively under the target with its own name; `REGEX:<expression>` as the last part of a path
matches the names of the regular files in the directory before it, each copied under its own name.
Expressions are RE2 (linear time: a caller's pattern can never make the server backtrack) and must
match a whole name: `/tmp/REGEX:[a-z]*.txt` takes `/tmp/abc.txt`, not `/tmp/abc.txt.bak`.

A target path may hold `[FILESRCIP]`: each source's files then land in a directory named by the IP of
the host they came from (`0.0.0.0` for content uploaded with the request, as bk-job names its own
local files). bk-job v3 writes `<bk_cloud_id>_<ip>` there; the v2 API this follows names the IP only.

Example:
    parse_source_path("/var/log/REGEX:app-[0-9]+\\.log")
    # SourcePath(kind=PATTERN, directory="/var/log", name="app-[0-9]+\\.log")
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import re2

SOURCE_IP_PLACEHOLDER = "[FILESRCIP]"
REGEX_PREFIX = "REGEX:"
UPLOAD_SOURCE_IP = "0.0.0.0"
MAX_PATH_LENGTH = 4096  # Linux PATH_MAX
_PATTERN_MEMORY = 1 << 20  # bytes RE2 may use for one compiled expression


class SourceKind(StrEnum):
    FILE = "file"
    DIRECTORY = "directory"
    PATTERN = "pattern"


class BadSourcePath(ValueError):
    """A source or target path that cannot mean anything; the message says why."""


@dataclass(frozen=True)
class SourcePath:
    kind: SourceKind
    directory: str  # FILE: the file's directory; DIRECTORY: the directory itself; PATTERN: where names match
    name: str  # FILE: the file name; DIRECTORY: its name (the subdirectory made on targets); PATTERN: the expression

    @property
    def text(self) -> str:
        """The canonical spelling (what is stored and shown)."""
        if self.kind == SourceKind.FILE:
            return posixpath.join(self.directory, self.name)
        if self.kind == SourceKind.DIRECTORY:
            return self.directory.rstrip("/") + "/"
        return posixpath.join(self.directory, REGEX_PREFIX + self.name)


def parse_source_path(raw: Any) -> SourcePath:
    if not isinstance(raw, str) or not raw.startswith("/") or "\0" in raw or len(raw) > MAX_PATH_LENGTH:
        raise BadSourcePath(f"must be an absolute path of at most {MAX_PATH_LENGTH} characters")
    if REGEX_PREFIX in raw:
        head, _, expression = raw.partition(REGEX_PREFIX)
        if not head.endswith("/"):
            raise BadSourcePath(f"{REGEX_PREFIX} starts the last part of a path: /directory/{REGEX_PREFIX}<expression>")
        if not expression:
            raise BadSourcePath(f"{REGEX_PREFIX} needs an expression after it")
        compile_pattern(expression)
        return SourcePath(SourceKind.PATTERN, _clean(head), expression)
    cleaned = _clean(raw)
    if cleaned == "/":
        raise BadSourcePath("copying the whole file system (/) is refused: name a directory below it")
    if raw.endswith("/"):
        return SourcePath(SourceKind.DIRECTORY, cleaned, posixpath.basename(cleaned))
    return SourcePath(SourceKind.FILE, posixpath.dirname(cleaned), posixpath.basename(cleaned))


def compile_pattern(expression: str) -> Any:
    """An RE2 expression; BadSourcePath says why one is refused."""
    options = re2.Options()
    options.log_errors = False
    options.max_mem = _PATTERN_MEMORY
    try:
        return re2.compile(expression, options)
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise BadSourcePath(f"{REGEX_PREFIX}{expression} is not a valid expression: {reason}") from exc


def check_target_path(raw: Any) -> str:
    """An absolute target directory, normalised; `[FILESRCIP]` may appear anywhere in it."""
    if not isinstance(raw, str) or not raw.startswith("/") or "\0" in raw or len(raw) > MAX_PATH_LENGTH:
        raise BadSourcePath(f"must be an absolute path of at most {MAX_PATH_LENGTH} characters")
    return _clean(raw)


def target_directory(target_path: str, source_ip: str) -> str:
    """Where one source's files go: `[FILESRCIP]` becomes the IP of the host they came from."""
    return _clean(target_path.replace(SOURCE_IP_PLACEHOLDER, source_ip))


def _clean(path: str) -> str:
    # normpath keeps a leading "//" (POSIX leaves its meaning open); Linux reads it as "/".
    return posixpath.normpath("/" + path.lstrip("/"))
