"""The import graph: the REST API loads no Dagster, and only the settings read the environment."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "moo_markets"


def test_the_rest_api_imports_no_dagster():
    script = (
        "import sys, moo_markets.api.main, moo_markets.api.cli, moo_markets.core.runs\n"
        "import moo_markets.api.cron_change, moo_markets.api.schedule_cli\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0].startswith('dagster')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_nothing_but_the_settings_reads_the_environment():
    # The simulator (its own JQUANTS_SIM_* configuration) and the process supervisors that pass
    # an environment on to child processes are the exceptions.
    allowed = {"devserver.py", "backup.py"}
    readers = []
    for path in PACKAGE.rglob("*.py"):
        if "jquants_sim" in path.parts or path.name in allowed:
            continue
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text()):
            readers.append(str(path.relative_to(PACKAGE)))
    assert readers == []
