"""pushFile's file sources over real sshd: several source hosts into `[FILESRCIP]` directories,
`REGEX:` patterns, whole directories with their modes, sources read with their own account, and a
clear reason on every target when a source cannot be brought."""

from __future__ import annotations

import base64

from tests.executors.conftest import SshdPoolFactory
from tests.executors.file_sources_support import (  # noqa: F401 - fixtures
    PATTERN_LIMIT,
    READER_ADDRESS,
    add_reader_host,
    many_files_script,
    on_host,
    reader_pool,
    reader_user,
    tree_listing,
    tree_script,
)
from tests.executors.support import (
    PUSH_FILE,
    host_results,
    push_file,
    ssh_estate,
    stdout_lines,
    summary,
    task_ids,
    wait_for_task,
)
from tests.support.server import GraphQLClient
from tests.support.sshd import SshdPool, SshUser
from tests.support.topology import mutate_refused

LIST_FILES = 'find . -type f | sort | while read -r f; do echo "$f: $(cat "$f")"; done'


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_three_source_hosts_land_in_their_filesrcip_directories(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"src-ip-{unique}", sshd_pool(3), ssh_user)
    base = f"/tmp/og-srcip-{unique}"
    make = f"mkdir -p {base}/src && cd {base}/src && echo one > one.txt && echo two > two.txt && echo three > three.txt"
    on_host(gql, estate, make, estate.host_ids[0])
    files = [
        {"sourceHostId": estate.host_ids[0], "path": f"{base}/src/one.txt"},
        {"sourceHost": {"ip": estate.ips[1]}, "path": f"{base}/src/two.txt"},
        {"sourceHostId": estate.host_ids[2], "path": f"{base}/src/three.txt"},
        {"name": "up.txt", "contentBase64": b64("uploaded\n")},
    ]

    ref = push_file(gql, estate, estate.host_ids[:2], files=files, targetPath=f"{base}/dst/[FILESRCIP]/")
    task = wait_for_task(gql, ref)

    assert task["status"] == "SUCCESS", summary(task)
    landed = on_host(gql, estate, f"cd {base}/dst && {LIST_FILES}", estate.host_ids[1])
    assert sorted(landed.splitlines()) == sorted(
        [
            f"./{estate.ips[0]}/one.txt: one",
            f"./{estate.ips[1]}/two.txt: two",
            f"./{estate.ips[2]}/three.txt: three",
            "./0.0.0.0/up.txt: uploaded",  # content uploaded with the request: bk-job's name for local files
        ]
    )
    for result in host_results(task).values():
        assert f"wrote {base}/dst/{estate.ips[2]}/three.txt" in stdout_lines(result["log"]), result["log"]
    on_host(gql, estate, f"rm -rf {base}", estate.host_ids[0])


def test_a_regex_source_brings_the_files_whose_whole_name_matches(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"src-regex-{unique}", sshd_pool(3), ssh_user, count=2)
    source, target = estate.host_ids
    base = f"/tmp/og-regex-{unique}"
    on_host(
        gql,
        estate,
        f"mkdir -p {base}/logs/app-3.log && cd {base}/logs && echo 1 > app-1.log && echo 22 > app-22.log && "
        "echo x > app-x.log && echo bak > app-1.log.bak && ln -s app-1.log app-9.log && ln -s gone app-8.log && "
        "chmod 640 app-1.log && chmod 604 app-22.log",
        source,
    )
    files = [{"sourceHostId": source, "path": f"{base}/logs/REGEX:app-[0-9]+\\.log"}]

    task = wait_for_task(gql, push_file(gql, estate, [target], files=files, targetPath=f"{base}/dst"))

    assert task["status"] == "SUCCESS", summary(task)
    # app-x.log and app-1.log.bak do not match whole; app-3.log is a directory and app-8.log a
    # dangling link: neither is a file. app-9.log links to a file and brings that file.
    seen = on_host(gql, estate, f'cd {base}/dst && for f in *; do echo "$f $(stat -c %a $f) $(cat $f)"; done', target)
    assert seen.splitlines() == ["app-1.log 640 1", "app-22.log 604 22", "app-9.log 640 1"]
    on_host(gql, estate, f"rm -rf {base}", source)


def test_a_directory_of_200_files_is_copied_whole_with_its_modes(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"src-tree-{unique}", sshd_pool(3), ssh_user)
    source, *targets = estate.host_ids
    base = f"/tmp/og-tree-{unique}"
    on_host(gql, estate, tree_script(f"{base}/tree", 200), source)

    ref = push_file(
        gql, estate, targets, files=[{"sourceHostId": source, "path": f"{base}/tree/"}], targetPath=f"{base}/dst"
    )
    task = wait_for_task(gql, ref, timeout=60)

    assert task["status"] == "SUCCESS", summary(task)
    original = on_host(gql, estate, tree_listing(f"{base}/tree"), source).splitlines()
    copied = on_host(gql, estate, tree_listing(f"{base}/dst/tree"), targets[0]).splitlines()
    assert "l 777 ./link" in original  # symlinks are not followed nor copied
    assert copied == [line for line in original if line != "l 777 ./link"]
    assert sum(line.startswith("f ") for line in copied) == 200
    assert {"d 751 .", "d 750 ./a", "d 700 ./c", "f 755 ./f0.txt", "f 600 ./a/f1.txt"} <= set(copied)
    for result in host_results(task).values():
        lines = stdout_lines(result["log"])
        assert sum(line.startswith(f"wrote {base}/dst/tree/") for line in lines) == 200, result["log"][-500:]
        assert f"skipped {estate.ips[0]}:{base}/tree/link: not a file or directory" in lines
    on_host(gql, estate, f"rm -rf {base}", source)


def test_sources_that_cannot_be_brought_fail_each_target_with_their_reasons(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"src-bad-{unique}", sshd_pool(3), ssh_user)
    source, *targets = estate.host_ids
    base = f"/tmp/og-bad-{unique}"
    on_host(gql, estate, many_files_script(f"{base}/many", PATTERN_LIMIT + 1), source)
    on_host(gql, estate, f"mkdir -p {base}/few && echo ok > {base}/few/good.txt", source)
    files = [
        {"sourceHostId": source, "path": f"{base}/many/REGEX:f[0-9]+"},  # one file more than a pattern may bring
        {"sourceHostId": source, "path": f"{base}/few/REGEX:nothing-[0-9]+"},  # matches nothing
        {"sourceHostId": source, "path": f"{base}/absent/REGEX:.*"},  # no such directory
        {"sourceHostId": source, "path": f"{base}/few/missing.txt"},
        {"sourceHostId": source, "path": f"{base}/few/good.txt"},
    ]

    task = wait_for_task(gql, push_file(gql, estate, targets, files=files, targetPath=f"{base}/dst"))

    assert task["status"] == "FAILED", summary(task)
    results = host_results(task)
    assert sorted(results) == sorted(estate.ips[1:])
    for result in results.values():
        assert (result["status"], result["failure"]) == ("FAILED", "FILE_LIMIT_EXCEEDED"), summary(task)
        reasons = result["error"]
        assert f"REGEX:f[0-9]+ matches {PATTERN_LIMIT + 1} files on {estate.ips[0]}" in reasons, reasons
        assert f"at most {PATTERN_LIMIT}" in reasons, reasons
        assert f"no file in {base}/few on {estate.ips[0]} matches 'nothing-[0-9]+'" in reasons, reasons
        assert f"{base}/absent does not exist on {estate.ips[0]}" in reasons, reasons
        assert f"{base}/few/missing.txt does not exist on {estate.ips[0]}" in reasons, reasons
        assert f"wrote {base}/dst/good.txt" in stdout_lines(result["log"])  # what could come, came
    assert on_host(gql, estate, f"cat {base}/dst/good.txt && ls {base}/dst | wc -l", targets[0]) == "ok\n1\n"
    on_host(gql, estate, f"rm -rf {base}", source)


def test_paths_that_cannot_mean_anything_are_refused_before_running(
    gql: GraphQLClient, sshd_pool: SshdPoolFactory, ssh_user: SshUser, unique: str
) -> None:
    estate = ssh_estate(gql, f"src-refuse-{unique}", sshd_pool(3), ssh_user, count=1)
    (host,) = estate.host_ids
    cases = [
        ("/tmp/REGEX:(unclosed", "not a valid expression: missing )"),
        ("/tmp/REGEX:(?<=a)b", "not a valid expression"),  # RE2 has no look-behind (nor backtracking)
        ("/tmp/logs/REGEX:", "needs an expression"),
        ("/tmp/app-REGEX:[0-9]+", "starts the last part of a path"),
        ("/", "whole file system"),
        ("relative/REGEX:x", "absolute path"),
    ]
    for path, reason in cases:
        variables = {
            "input": {
                "businessId": estate.business.id,
                "hostIds": [host],
                "files": [{"sourceHostId": host, "path": path}],
                "targetPath": "/tmp/[FILESRCIP]",
            }
        }
        error = mutate_refused(gql, PUSH_FILE, variables, "INVALID")
        assert (error["field"], reason in error["message"]) == ("files", True), (path, error)
    upload = [{"name": "a.txt", "contentBase64": b64("a")}]
    variables = {
        "input": {"businessId": estate.business.id, "hostIds": [host], "files": upload, "targetPath": "[FILESRCIP]/x"}
    }
    assert mutate_refused(gql, PUSH_FILE, variables, "INVALID")["field"] == "targetPath"
    assert task_ids(gql, businessId=estate.business.id) == []


def test_a_source_is_read_with_its_own_account(
    gql: GraphQLClient,
    sshd_pool: SshdPoolFactory,
    ssh_user: SshUser,
    reader_user: SshUser,  # noqa: F811 - the fixture imported above
    reader_pool: SshdPool,  # noqa: F811
    unique: str,
) -> None:
    estate = ssh_estate(gql, f"src-account-{unique}", sshd_pool(3), ssh_user, count=1)
    (target,) = estate.host_ids
    reader_host = add_reader_host(gql, estate, reader_pool, reader_user, "reader")
    base = f"/tmp/og-own-{unique}"
    # Only the reader may log in on its host, and only the reader may read the file (0600, its own).
    on_host(
        gql,
        estate,
        f"umask 077 && mkdir -p {base} && echo 'for the reader {unique}' > {base}/secret.txt",
        reader_host,
        "reader",
    )
    own = [{"sourceHostId": reader_host, "path": f"{base}/secret.txt", "accountAlias": "reader"}]

    task = wait_for_task(gql, push_file(gql, estate, [target], files=own, targetPath=f"{base}-dst/[FILESRCIP]"))

    assert task["status"] == "SUCCESS", summary(task)
    copied = f"{base}-dst/{READER_ADDRESS}/secret.txt"
    seen = on_host(gql, estate, f"stat -c '%a %U' {copied} && cat {copied}", target)
    assert seen == f"600 {ssh_user.name}\nfor the reader {unique}\n"  # the source's mode; the target account's file

    # Without an account of its own, the step's (target) account reads the source: not let in there.
    step_account = [{"sourceHostId": reader_host, "path": f"{base}/secret.txt"}]
    task = wait_for_task(gql, push_file(gql, estate, [target], files=step_account, targetPath=f"{base}-dst"))
    assert task["status"] == "FAILED", summary(task)
    (result,) = host_results(task).values()
    assert result["failure"] == "AUTH_FAILED", summary(task)
    assert f"source host {READER_ADDRESS}: authentication failed for user {ssh_user.name}" in result["error"]
    on_host(gql, estate, f"rm -rf {base}", reader_host, "reader")
    on_host(gql, estate, f"rm -rf {base}-dst", target)
