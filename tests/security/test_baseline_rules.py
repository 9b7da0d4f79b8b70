"""The host baseline rules on collected output (no host needed): sshd settings from `sshd -T` or
config files with Include and Match, password policy, files, sockets from ss and /proc/net."""

from __future__ import annotations

from opsgraph.executors.security.baseline_collect import SECTION, listeners, parse_sections, sshd_settings
from opsgraph.executors.security.baseline_rules import RULES, Facts, ScanType, evaluate


def collected(**sections: str) -> str:
    """Collection output with the given sections (and the `end` marker a complete run prints)."""
    blocks = [f"{SECTION}{name}\n{body}" for name, body in sections.items()]
    return "\n".join([*blocks, f"{SECTION}end\n"])


def verdicts(output: str, *types: ScanType) -> dict[str, tuple[bool, str]]:
    findings = evaluate(Facts.from_output(output), types or tuple(ScanType))
    return {f.rule_id: (f.passed, f.evidence) for f in findings}


def test_sshd_effective_settings_win_and_weak_algorithms_are_named() -> None:
    output = collected(
        sshd_effective="permitrootlogin yes\npasswordauthentication no\npermitemptypasswords no\n"
        "x11forwarding no\nmaxauthtries 3\nciphers aes128-ctr,aes256-cbc\nmacs hmac-sha2-256,hmac-md5\n",
        sshd_config="@@file /etc/ssh/sshd_config\nPermitRootLogin no\n",
    )
    found = verdicts(output, ScanType.BENCHMARK)
    assert found["ssh.permit_root_login"] == (False, "permitrootlogin yes [sshd -T]")
    assert found["ssh.password_authentication"][0] is True
    assert found["ssh.max_auth_tries"][0] is True
    passed, evidence = found["ssh.weak_algorithms"]
    assert not passed
    assert "ciphers: aes256-cbc" in evidence
    assert "macs: hmac-md5" in evidence


def test_config_files_first_value_wins_includes_expand_and_match_blocks_are_not_global() -> None:
    output = collected(
        sshd_config="\n".join(
            [
                "@@file /etc/ssh/sshd_config",
                "Include sshd_config.d/*.conf",
                "PermitRootLogin yes  # overridden by the include above",
                "Match User backup",
                "  PasswordAuthentication no",
                "@@file /etc/ssh/sshd_config.d/10-hardening.conf",
                "PermitRootLogin no",
                "MaxAuthTries=4",
            ]
        )
    )
    settings = sshd_settings(parse_sections(output))
    assert settings.values == {"permitrootlogin": "no", "maxauthtries": "4"}
    found = verdicts(output, ScanType.BENCHMARK)
    assert found["ssh.permit_root_login"][0] is True
    assert found["ssh.password_authentication"] == (
        False,
        "passwordauthentication yes [not set, OpenSSH default "
        "(/etc/ssh/sshd_config, /etc/ssh/sshd_config.d/10-hardening.conf)]",
    )


def test_unreadable_sshd_config_is_not_determined() -> None:
    output = collected(user="scanner\n", sshd_config="@@unreadable /etc/ssh/sshd_config\n")
    passed, evidence = verdicts(output, ScanType.BENCHMARK)["ssh.permit_empty_passwords"]
    assert not passed
    assert "cannot read the sshd configuration (/etc/ssh/sshd_config) as scanner" in evidence


def test_password_policy_files_and_accounts() -> None:
    output = collected(
        login_defs="PASS_MAX_DAYS 90\nPASS_MIN_DAYS 1\nPASS_WARN_AGE 14\n",
        pam_password="password requisite pam_pwquality.so retry=3 minlen=12\n",
        world_writable="/etc/cron.d/job\n/usr/bin/tool\n",
        tmp_mode="777\n",
        uid0="root\ntoor\n",
    )
    found = verdicts(output, ScanType.BENCHMARK)
    assert found["password.max_days"][0]
    assert found["password.min_days"][0]
    assert found["password.warn_age"][0]
    assert found["password.complexity"] == (True, "pam_pwquality in the PAM password stack")
    assert found["password.min_length"] == (True, "minlen 12 (PAM module arguments)")
    assert found["fs.world_writable_files"] == (False, "2 world-writable: /etc/cron.d/job, /usr/bin/tool")
    assert found["fs.tmp_sticky"] == (False, "/tmp mode 777")
    assert found["accounts.uid0"] == (False, "UID 0: root, toor")


def test_listening_sockets_from_ss_and_from_proc() -> None:
    ss = (
        "@@ss\nNetid State  Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
        "tcp   LISTEN 0      128    0.0.0.0:23         0.0.0.0:*\n"
        "tcp   LISTEN 0      128    [::]:6379          [::]:*\n"
        "udp   UNCONN 0      0      127.0.0.53%lo:53   0.0.0.0:*\n"
        "tcp   LISTEN 0      128    127.0.0.1:5432     0.0.0.0:*\n"
    )
    found = verdicts(collected(listening=ss), ScanType.RISK_ASSESSMENT)
    assert found["network.insecure_services"] == (False, "telnet on tcp 0.0.0.0:23")
    assert found["network.exposed_datastores"] == (False, "Redis on tcp [::]:6379")
    assert found["network.listening_services"][0] is True
    proc = (
        "@@proc tcp\n  sl  local_address rem_address   st\n"
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 1\n"
        "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000  0 0 2\n"
        "   2: 0100007F:9C40 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  0 0 3\n"
        "@@proc tcp6\n"
        "   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 0\n"
    )
    sockets = [str(item) for item in listeners(parse_sections(collected(listening=proc)))]
    assert sockets == ["tcp 0.0.0.0:22", "tcp [::1]:80", "tcp 127.0.0.1:8080"]


def test_kernel_series_and_scan_type_selection() -> None:
    old = verdicts(collected(kernel="4.19.0-25-amd64\n", os="Debian GNU/Linux 10\n"), ScanType.VULNERABILITY)
    assert old == {
        "system.kernel_version": (
            False,
            "kernel 4.19.0-25-amd64 on Debian GNU/Linux 10 (oldest maintained series: 5.10)",
        )
    }
    everything = verdicts(collected(kernel="6.1.0\n"))
    assert set(everything) == {rule.rule_id for rule in RULES}
    assert everything["system.kernel_version"][0] is True
