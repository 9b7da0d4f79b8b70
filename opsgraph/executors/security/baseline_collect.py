"""What a baseline scan reads on a host, in ONE shell command (one SSH channel), and its parsing.

The script is POSIX sh, needs no root and changes nothing: every probe tolerates a missing tool or
an unreadable file, and the output is `@@og:<section>` blocks that `parse_sections` splits. Rules
are evaluated on the server (`baseline_rules.py`), so they are unit-testable and the same for
every host.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass, field

SECTION = "@@og:"
FILE_MARK = "@@file "
UNREADABLE_MARK = "@@unreadable "
WORLD_WRITABLE_LIMIT = 50
# Directories whose world-writable files let any local user change what root runs.
WORLD_WRITABLE_DIRS = "/etc /usr/bin /usr/sbin /usr/local/bin /usr/local/sbin /bin /sbin /lib/systemd/system"

SCRIPT = f"""
og() {{ printf '\\n{SECTION}%s\\n' "$1"; }}
og_t=""; command -v timeout >/dev/null 2>&1 && og_t="timeout 20"
og kernel; uname -r 2>/dev/null
og os; ( . /etc/os-release 2>/dev/null && printf '%s\\n' "${{PRETTY_NAME:-unknown}}" ) || echo unknown
og user; id -un 2>/dev/null
og sshd_effective
for og_sshd in /usr/sbin/sshd /usr/bin/sshd /sbin/sshd; do
  if [ -x "$og_sshd" ]; then $og_t "$og_sshd" -T 2>/dev/null; break; fi
done
og sshd_config
og_cfg=/etc/ssh/sshd_config
if [ -r "$og_cfg" ]; then
  printf '{FILE_MARK}%s\\n' "$og_cfg"; cat "$og_cfg"
  for og_pat in $(awk 'tolower($1) == "include" {{ for (i = 2; i <= NF; i++) print $i }}' "$og_cfg" 2>/dev/null); do
    case "$og_pat" in /*) ;; *) og_pat="/etc/ssh/$og_pat" ;; esac
    for og_f in $og_pat; do
      [ -f "$og_f" ] || continue
      if [ -r "$og_f" ]; then printf '\\n{FILE_MARK}%s\\n' "$og_f"; cat "$og_f"
      else printf '{UNREADABLE_MARK}%s\\n' "$og_f"; fi
    done
  done
elif [ -e "$og_cfg" ]; then
  printf '{UNREADABLE_MARK}%s\\n' "$og_cfg"
fi
og login_defs
grep -E '^[[:space:]]*PASS_(MAX_DAYS|MIN_DAYS|MIN_LEN|WARN_AGE)[[:space:]]' /etc/login.defs 2>/dev/null
og pwquality
cat /etc/security/pwquality.conf /etc/security/pwquality.conf.d/*.conf 2>/dev/null \\
  | grep -E '^[[:space:]]*[a-z]+[[:space:]]*='
og pam_password
grep -hE '^[[:space:]]*password[[:space:]].*(pam_pwquality|pam_cracklib|pam_passwdqc)' \\
  /etc/pam.d/common-password /etc/pam.d/system-auth /etc/pam.d/password-auth 2>/dev/null
og uid0
awk -F: '$3 == 0 {{ print $1 }}' /etc/passwd 2>/dev/null
og tmp_mode
stat -c '%a' /tmp 2>/dev/null
og world_writable
$og_t find {WORLD_WRITABLE_DIRS} -xdev -type f -perm -0002 2>/dev/null | head -n {WORLD_WRITABLE_LIMIT}
og listening
if command -v ss >/dev/null 2>&1; then
  echo '@@ss'; ss -lntu 2>/dev/null
else
  for og_f in tcp tcp6 udp udp6; do printf '@@proc %s\\n' "$og_f"; cat "/proc/net/$og_f" 2>/dev/null; done
fi
og end
exit 0
"""


def parse_sections(output: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith(SECTION):
            current = sections.setdefault(line[len(SECTION) :].strip(), [])
        elif current is not None:
            current.append(line)
    return sections


def first_line(sections: dict[str, list[str]], name: str) -> str:
    return next((line.strip() for line in sections.get(name, []) if line.strip()), "")


# -- sshd ---------------------------------------------------------------------------------------------------


@dataclass
class SshdSettings:
    values: dict[str, str]  # lower-case keyword → value (first occurrence wins, as in sshd)
    source: str  # "sshd -T", a file list, or "" when nothing could be read
    unreadable: list[str] = field(default_factory=list)

    def get(self, keyword: str, default: str) -> tuple[str, bool]:
        """(value, explicitly set)."""
        value = self.values.get(keyword)
        return (value, True) if value is not None else (default, False)


def sshd_settings(sections: dict[str, list[str]]) -> SshdSettings:
    effective = [line for line in sections.get("sshd_effective", []) if line.strip()]
    if effective:
        values: dict[str, str] = {}
        for line in effective:
            keyword, _, value = line.strip().partition(" ")
            values.setdefault(keyword.lower(), value.strip())
        return SshdSettings(values, "sshd -T")
    files, unreadable = _config_files(sections.get("sshd_config", []))
    if not files:
        return SshdSettings({}, "", unreadable)
    main = next(iter(files))
    values = {}
    _apply_config(main, files, values, depth=0)
    return SshdSettings(values, ", ".join(files), unreadable)


def _config_files(lines: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    files: dict[str, list[str]] = {}
    unreadable: list[str] = []
    current: list[str] | None = None
    for line in lines:
        if line.startswith(FILE_MARK):
            current = files.setdefault(line[len(FILE_MARK) :].strip(), [])
        elif line.startswith(UNREADABLE_MARK):
            unreadable.append(line[len(UNREADABLE_MARK) :].strip())
            current = None
        elif current is not None:
            current.append(line)
    return files, unreadable


def _apply_config(path: str, files: dict[str, list[str]], values: dict[str, str], depth: int) -> None:
    """Global settings of one file, Include expanded in place; lines in `Match` blocks apply only
    to some connections, so they are not the global value."""
    in_match = False
    for raw in files.get(path, []):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace("=", " ", 1).split(None, 1)
        keyword, value = parts[0].lower(), (parts[1].strip() if len(parts) > 1 else "")
        if keyword == "match":
            in_match = value.lower() != "all"
            continue
        if in_match:
            continue
        if keyword == "include" and depth < 4:
            for pattern in value.split():
                absolute = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
                for included in sorted(p for p in files if fnmatch.fnmatch(p, absolute) and p != path):
                    _apply_config(included, files, values, depth + 1)
            continue
        values.setdefault(keyword, value)


# -- listening sockets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Listener:
    protocol: str  # tcp | udp
    address: str
    port: int

    @property
    def loopback_only(self) -> bool:
        try:
            return ipaddress.ip_address(self.address).is_loopback
        except ValueError:
            return self.address == "localhost"

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.protocol} {host}:{self.port}"


def listeners(sections: dict[str, list[str]]) -> list[Listener]:
    lines = sections.get("listening", [])
    found: set[Listener] = set()
    if lines and lines[0].strip() == "@@ss":
        for line in lines[1:]:
            parsed = _ss_line(line)
            if parsed is not None:
                found.add(parsed)
    else:
        protocol = ""
        for line in lines:
            if line.startswith("@@proc "):
                protocol = line.split()[1]
                continue
            parsed = _proc_line(protocol, line)
            if parsed is not None:
                found.add(parsed)
    return sorted(found, key=lambda item: (item.port, item.protocol, item.address))


def _ss_line(line: str) -> Listener | None:
    columns = line.split()
    if len(columns) < 5 or columns[0] not in {"tcp", "udp"}:
        return None  # the header, or an unexpected layout
    address, _, port = columns[4].rpartition(":")
    address = address.strip("[]").split("%", 1)[0]
    if not port.isdigit():
        return None
    return Listener(columns[0], "0.0.0.0" if address == "*" else address, int(port))


_PROC_LISTEN = {"tcp": "0A", "tcp6": "0A", "udp": "07", "udp6": "07"}


def _proc_line(protocol: str, line: str) -> Listener | None:
    columns = line.split()
    if protocol not in _PROC_LISTEN or len(columns) < 4 or columns[3] != _PROC_LISTEN[protocol]:
        return None
    hex_address, _, hex_port = columns[1].partition(":")
    try:
        raw = bytes.fromhex(hex_address)
        port = int(hex_port, 16)
    except ValueError:
        return None
    # The kernel prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    try:
        address = str(ipaddress.ip_address(words))
    except ValueError:
        return None
    return Listener(protocol.rstrip("6"), address, port)
