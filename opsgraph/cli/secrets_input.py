"""Secrets (passwords, app secrets) without putting them on the command line.

`--password P` is visible to every local user in `ps` and lands in shell history, so each secret also
has `--password-stdin` (the first line of standard input) and `--password-file FILE` (its first line);
with none of them given on a terminal, the secret is asked for twice with `getpass` (never echoed).

Example:
    printf '%s\\n' "$PASSWORD" | opsgraph admin create-user alice --password-stdin
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from opsgraph.core.errors import ValidationFailed


def add_secret_options(group: argparse._ActionsContainer, name: str, *, what: str) -> None:
    """`--NAME VALUE`, `--NAME-stdin`, `--NAME-file FILE` (put them in a mutually exclusive group)."""
    group.add_argument(
        f"--{name}",
        metavar=name.upper(),
        help=f"the {what} itself (visible in `ps` and shell history: prefer --{name}-stdin or --{name}-file)",
    )
    group.add_argument(
        f"--{name}-stdin", action="store_true", help=f"read the {what} from the first line of standard input"
    )
    group.add_argument(f"--{name}-file", metavar="FILE", help=f"read the {what} from the first line of FILE")


def read_secret(args: argparse.Namespace, name: str, *, what: str, stdin: TextIO | None = None) -> str:
    """The secret from whichever `--NAME…` option was given, else from a prompt on a terminal."""
    attribute = name.replace("-", "_")
    source = stdin if stdin is not None else sys.stdin
    value: str | None = getattr(args, attribute)
    if value is not None:
        return value
    if getattr(args, f"{attribute}_stdin"):
        return _first_line(source.readline(), what=what, origin="standard input")
    path: str | None = getattr(args, f"{attribute}_file")
    if path:
        return _first_line(_read_file(path, what=what), what=what, origin=path)
    if source.isatty():
        return _prompt_twice(what)
    raise ValidationFailed(
        f"no {what} given: use --{name}-stdin or --{name}-file (or run on a terminal to be asked)", field=name
    )


def _read_file(path: str, *, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline()
    except OSError as exc:
        raise ValidationFailed(f"cannot read the {what} file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"the {what} file {path} is not UTF-8 text") from exc


def _first_line(text: str, *, what: str, origin: str) -> str:
    line = text.rstrip("\r\n")
    if not line:
        raise ValidationFailed(f"the {what} read from {origin} is empty")
    return line


def _prompt_twice(what: str) -> str:
    first = getpass.getpass(f"{what.capitalize()}: ")
    if not first:
        raise ValidationFailed(f"the {what} is empty")
    if getpass.getpass(f"{what.capitalize()} (again): ") != first:
        raise ValidationFailed(f"the two {what}s do not match")
    return first
