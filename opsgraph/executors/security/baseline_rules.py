"""The host baseline: each rule reads the collected facts and says passed or not, with evidence.

Rules belong to one scan type, as HSS's `scan_type_list` names them:
- BENCHMARK (compliance): SSH daemon settings, password policy, file permissions, UID 0 accounts;
- RISK_ASSESSMENT (exposure): listening services, cleartext remote-login services, exposed datastores;
- VULNERABILITY: the kernel series.
Thresholds follow common hardening baselines (CIS-style): passwords expire within 90 days and have
at least 8 characters, sshd allows at most 4 authentication attempts.

Example:
    facts = Facts.from_output(stdout)
    findings = evaluate(facts, {ScanType.BENCHMARK})
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from opsgraph.executors.security.baseline_collect import (
    WORLD_WRITABLE_DIRS,
    WORLD_WRITABLE_LIMIT,
    Listener,
    SshdSettings,
    first_line,
    listeners,
    parse_sections,
    sshd_settings,
)
from opsgraph.executors.security.findings import Finding, evidence_list
from opsgraph.models.security import FindingSeverity

HIGH, MEDIUM, LOW = FindingSeverity.HIGH, FindingSeverity.MEDIUM, FindingSeverity.LOW
MAX_PASSWORD_DAYS = 90
MIN_PASSWORD_LENGTH = 8
MAX_AUTH_TRIES = 4
# The oldest kernel series still maintained upstream (longterm 5.10); older ones get no fixes.
MIN_KERNEL = (5, 10)
WEAK_ALGORITHMS = {
    "ciphers": {"3des-cbc", "aes128-cbc", "aes192-cbc", "aes256-cbc", "blowfish-cbc", "cast128-cbc", "arcfour",
                "arcfour128", "arcfour256", "rijndael-cbc@lysator.liu.se"},
    "macs": {"hmac-md5", "hmac-md5-96", "hmac-md5-etm@openssh.com", "hmac-md5-96-etm@openssh.com", "hmac-sha1-96",
             "hmac-sha1-96-etm@openssh.com", "umac-64@openssh.com", "hmac-ripemd160"},
    "kexalgorithms": {"diffie-hellman-group1-sha1", "diffie-hellman-group-exchange-sha1"},
}  # fmt: skip
INSECURE_PORTS = {21: "ftp", 23: "telnet", 69: "tftp", 512: "rexec", 513: "rlogin", 514: "rsh"}
DATASTORE_PORTS = {
    3306: "MySQL",
    5432: "PostgreSQL",
    6379: "Redis",
    9200: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
}


class ScanType(StrEnum):
    BENCHMARK = "BENCHMARK"
    RISK_ASSESSMENT = "RISK_ASSESSMENT"
    VULNERABILITY = "VULNERABILITY"


@dataclass
class Facts:
    sections: dict[str, list[str]]
    sshd: SshdSettings
    listening: list[Listener]

    @classmethod
    def from_output(cls, output: str) -> Facts:
        sections = parse_sections(output)
        return cls(sections=sections, sshd=sshd_settings(sections), listening=listeners(sections))

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in self.sections.get(name, []) if line.strip()]

    def first(self, name: str) -> str:
        return first_line(self.sections, name)


Check = Callable[[Facts], tuple[bool, str]]


@dataclass(frozen=True)
class Rule:
    rule_id: str
    scan_type: ScanType
    severity: FindingSeverity
    title: str
    check: Check

    @property
    def category(self) -> str:
        return self.rule_id.split(".", 1)[0]


RULES: list[Rule] = []


def rule(rule_id: str, scan_type: ScanType, severity: FindingSeverity, title: str) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(Rule(rule_id, scan_type, severity, title, check))
        return check

    return register


def evaluate(facts: Facts, scan_types: Iterable[ScanType]) -> list[Finding]:
    wanted = set(scan_types)
    findings = []
    for item in RULES:
        if item.scan_type not in wanted:
            continue
        passed, evidence = item.check(facts)
        findings.append(Finding(item.rule_id, item.category, item.severity, item.title, passed, evidence))
    return findings


# -- SSH daemon ---------------------------------------------------------------------------------------------


def _sshd_value(facts: Facts, keyword: str, default: str) -> tuple[str | None, str]:
    """(value, evidence); value None when the configuration could not be read at all."""
    settings = facts.sshd
    if not settings.source:
        where = ", ".join(settings.unreadable) or "/etc/ssh/sshd_config"
        user = facts.first("user") or "the scan account"
        return None, f"cannot read the sshd configuration ({where}) as {user}: not determined"
    value, explicit = settings.get(keyword, default)
    origin = settings.source if explicit else f"not set, OpenSSH default ({settings.source})"
    return value, f"{keyword} {value} [{origin}]"


def _sshd_is(keyword: str, default: str, wanted: str) -> Check:
    def check(facts: Facts) -> tuple[bool, str]:
        value, evidence = _sshd_value(facts, keyword, default)
        return value is not None and value.lower() == wanted, evidence

    return check


rule("ssh.permit_root_login", ScanType.BENCHMARK, HIGH, "SSH root login is disabled")(
    _sshd_is("permitrootlogin", "prohibit-password", "no")
)
rule("ssh.password_authentication", ScanType.BENCHMARK, MEDIUM, "SSH password login is disabled (keys only)")(
    _sshd_is("passwordauthentication", "yes", "no")
)
rule("ssh.permit_empty_passwords", ScanType.BENCHMARK, HIGH, "SSH refuses accounts with empty passwords")(
    _sshd_is("permitemptypasswords", "no", "no")
)
rule("ssh.x11_forwarding", ScanType.BENCHMARK, LOW, "SSH X11 forwarding is disabled")(
    _sshd_is("x11forwarding", "no", "no")
)


@rule("ssh.protocol", ScanType.BENCHMARK, HIGH, "SSH protocol 1 is not enabled")
def _ssh_protocol(facts: Facts) -> tuple[bool, str]:
    # OpenSSH ≥ 7.4 has no protocol 1 (and `sshd -T` no longer prints the keyword).
    value, evidence = _sshd_value(facts, "protocol", "2")
    return value is not None and "1" not in value.split(","), evidence


@rule("ssh.weak_algorithms", ScanType.BENCHMARK, MEDIUM, "SSH offers no weak ciphers, MACs or key exchanges")
def _ssh_algorithms(facts: Facts) -> tuple[bool, str]:
    if not facts.sshd.source:
        return False, _sshd_value(facts, "ciphers", "")[1]
    weak: list[str] = []
    for keyword, bad in WEAK_ALGORITHMS.items():
        value, _ = facts.sshd.get(keyword, "")
        # "+alg" appends to the (strong) defaults, "-alg" removes, "^alg" prepends: the names still count.
        names = {name.lstrip("+-^") for name in value.split(",") if name and not value.startswith("-")}
        weak += sorted(f"{keyword}: {name}" for name in names & bad)
    if weak:
        return False, f"weak algorithms enabled: {evidence_list(weak)} [{facts.sshd.source}]"
    return True, f"no weak ciphers, MACs or key exchanges [{facts.sshd.source}]"


@rule("ssh.max_auth_tries", ScanType.BENCHMARK, LOW, f"SSH allows at most {MAX_AUTH_TRIES} authentication attempts")
def _ssh_auth_tries(facts: Facts) -> tuple[bool, str]:
    value, evidence = _sshd_value(facts, "maxauthtries", "6")
    return value is not None and value.isdigit() and int(value) <= MAX_AUTH_TRIES, evidence


# -- password policy ----------------------------------------------------------------------------------------


def _login_defs(facts: Facts) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in facts.lines("login_defs"):
        parts = line.split()
        if len(parts) >= 2:
            values[parts[0]] = parts[1]  # the last one wins in login.defs
    return values


def _login_def_check(name: str, accept: Callable[[int], bool], wanted: str) -> Check:
    def check(facts: Facts) -> tuple[bool, str]:
        value = _login_defs(facts).get(name)
        if value is None or not value.lstrip("-").isdigit():
            return False, f"{name} is not set in /etc/login.defs (wanted {wanted})"
        return accept(int(value)), f"{name} {value} in /etc/login.defs (wanted {wanted})"

    return check


rule("password.max_days", ScanType.BENCHMARK, MEDIUM, f"Passwords expire within {MAX_PASSWORD_DAYS} days")(
    _login_def_check("PASS_MAX_DAYS", lambda v: 0 < v <= MAX_PASSWORD_DAYS, f"1–{MAX_PASSWORD_DAYS}")
)
rule("password.min_days", ScanType.BENCHMARK, LOW, "Passwords cannot be changed again at once")(
    _login_def_check("PASS_MIN_DAYS", lambda v: v >= 1, "≥ 1")
)
rule("password.warn_age", ScanType.BENCHMARK, LOW, "Users are warned at least 7 days before a password expires")(
    _login_def_check("PASS_WARN_AGE", lambda v: v >= 7, "≥ 7")
)

_QUALITY_MODULES = ("pam_pwquality", "pam_cracklib", "pam_passwdqc")


@rule("password.complexity", ScanType.BENCHMARK, MEDIUM, "A password quality module is enforced by PAM")
def _password_complexity(facts: Facts) -> tuple[bool, str]:
    modules = sorted({m for line in facts.lines("pam_password") for m in _QUALITY_MODULES if m in line})
    if modules:
        return True, f"{', '.join(modules)} in the PAM password stack"
    return False, "no pam_pwquality, pam_cracklib or pam_passwdqc in the PAM password stack"


@rule("password.min_length", ScanType.BENCHMARK, MEDIUM, f"Passwords have at least {MIN_PASSWORD_LENGTH} characters")
def _password_length(facts: Facts) -> tuple[bool, str]:
    pam = " ".join(facts.lines("pam_password"))
    from_pam = re.search(r"\bminlen=(\d+)", pam)
    conf = re.search(r"^\s*minlen\s*=\s*(\d+)", "\n".join(facts.lines("pwquality")), re.MULTILINE)
    found = from_pam or conf
    if found is not None:
        value = int(found.group(1))
        source = "PAM module arguments" if from_pam else "pwquality.conf"
        return value >= MIN_PASSWORD_LENGTH, f"minlen {value} ({source})"
    if "pam_pwquality" in pam:
        return True, "pam_pwquality with its default minlen 8"
    login_min = _login_defs(facts).get("PASS_MIN_LEN")
    if login_min is not None and login_min.isdigit():
        return int(login_min) >= MIN_PASSWORD_LENGTH, f"PASS_MIN_LEN {login_min} in /etc/login.defs"
    return False, "no minimum length: no pwquality minlen and no PASS_MIN_LEN in /etc/login.defs"


# -- files and accounts -------------------------------------------------------------------------------------


@rule("fs.world_writable_files", ScanType.BENCHMARK, HIGH, "No world-writable files in system directories")
def _world_writable(facts: Facts) -> tuple[bool, str]:
    files = facts.lines("world_writable")
    if not files:
        return True, f"none under {WORLD_WRITABLE_DIRS}"
    more = " (listing stopped at the limit)" if len(files) >= WORLD_WRITABLE_LIMIT else ""
    return False, f"{len(files)} world-writable: {evidence_list(files)}{more}"


@rule("fs.tmp_sticky", ScanType.BENCHMARK, MEDIUM, "/tmp has the sticky bit")
def _tmp_sticky(facts: Facts) -> tuple[bool, str]:
    mode = facts.first("tmp_mode")
    if not re.fullmatch(r"[0-7]{3,4}", mode):
        return False, "cannot read the mode of /tmp"
    return int(mode, 8) & 0o1000 != 0, f"/tmp mode {mode}"


@rule("accounts.uid0", ScanType.BENCHMARK, HIGH, "Only root has UID 0")
def _uid0(facts: Facts) -> tuple[bool, str]:
    names = facts.lines("uid0")
    if not names:
        return False, "cannot read /etc/passwd"
    return names == ["root"], f"UID 0: {', '.join(names)}"


# -- exposure -----------------------------------------------------------------------------------------------


@rule("network.listening_services", ScanType.RISK_ASSESSMENT, LOW, "Listening services (inventory)")
def _inventory(facts: Facts) -> tuple[bool, str]:
    if not facts.listening:
        return True, "no listening sockets found (ss and /proc/net unavailable or empty)"
    return True, f"{len(facts.listening)} listening: {evidence_list([str(item) for item in facts.listening], limit=40)}"


@rule("network.insecure_services", ScanType.RISK_ASSESSMENT, HIGH, "No cleartext remote-login or file services")
def _insecure(facts: Facts) -> tuple[bool, str]:
    found = [f"{INSECURE_PORTS[item.port]} on {item}" for item in facts.listening if item.port in INSECURE_PORTS]
    return (False, evidence_list(found)) if found else (True, "no telnet, ftp, tftp or r-services listening")


@rule("network.exposed_datastores", ScanType.RISK_ASSESSMENT, MEDIUM, "Datastores listen on loopback only")
def _datastores(facts: Facts) -> tuple[bool, str]:
    exposed = [
        f"{DATASTORE_PORTS[item.port]} on {item}"
        for item in facts.listening
        if item.port in DATASTORE_PORTS and item.protocol == "tcp" and not item.loopback_only
    ]
    return (False, evidence_list(exposed)) if exposed else (True, "no datastore port open beyond loopback")


# -- vulnerability ------------------------------------------------------------------------------------------


@rule("system.kernel_version", ScanType.VULNERABILITY, MEDIUM, "The kernel series is still maintained upstream")
def _kernel(facts: Facts) -> tuple[bool, str]:
    release = facts.first("kernel")
    found = re.match(r"(\d+)\.(\d+)", release)
    system = facts.first("os") or "unknown OS"
    if found is None:
        return False, f"cannot read the kernel release ({system})"
    version = (int(found.group(1)), int(found.group(2)))
    minimum = ".".join(map(str, MIN_KERNEL))
    return version >= MIN_KERNEL, f"kernel {release} on {system} (oldest maintained series: {minimum})"
