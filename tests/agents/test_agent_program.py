"""The shipped agent file runs on managed hosts: python3 >= 3.6 syntax, standard library only, and it
starts from its own directory with nothing of OpsGraph installed (`python3 -I`: no site-packages)."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

from opsgraph.agent import AGENT_FILE, agent_program, agent_version


def test_agent_is_stdlib_only_python36(tmp_path: Path) -> None:
    source = agent_program().decode()
    tree = ast.parse(source, feature_version=(3, 6))  # no walrus, no `X | Y`, no match…
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
    assert "__future__" not in imported  # `from __future__ import annotations` needs 3.7
    assert agent_version() == "1.0.0"

    program = tmp_path / AGENT_FILE
    program.write_bytes(agent_program())
    python = shutil.which("python3") or sys.executable
    version = subprocess.run([python, "-I", str(program), "--version"], capture_output=True, text=True, timeout=30)
    assert (version.returncode, version.stdout.strip()) == (0, "1.0.0"), version.stderr
    (tmp_path / "agent.json").write_text(json.dumps({"server": "ftp://nowhere", "host_id": 1, "token": "t"}))
    command = [python, "-I", str(program), "--config", str(tmp_path / "agent.json")]
    bad = subprocess.run(command, capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
    assert "server must be an http(s) URL" in bad.stdout
