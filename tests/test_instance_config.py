"""The two Dagster instance files: the root one (embedded defaults) and deploy/ (PostgreSQL).

``dagster dev``, ``dg dev`` and ``make dev`` use the root ``dagster.yaml``; the
README's production section uses ``deploy/dagster.yaml``. They must differ in
storage only, so local runs queue, limit and monitor runs exactly as production.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_root_and_production_instances_differ_only_in_storage() -> None:
    root = _load(ROOT / "dagster.yaml")
    production = _load(ROOT / "deploy" / "dagster.yaml")
    assert "storage" not in root, "the root instance must run on embedded (SQLite) defaults"
    assert production.pop("storage") == {
        "postgres": {"postgres_url": {"env": "DAGSTER_POSTGRES_URL"}}
    }
    assert production == root


def test_root_instance_limits_runs_like_production() -> None:
    """The settings the one-J-Quants-run-at-a-time guarantee and the run queue rely on."""
    config = _load(ROOT / "dagster.yaml")
    assert config["concurrency"]["pools"] == {"granularity": "run", "default_limit": 1}
    assert config["concurrency"]["runs"]["tag_concurrency_limits"] == [
        {"key": "moo_markets/job_type", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}
    ]
    assert config["run_monitoring"]["enabled"] is True
    assert config["nux"] == {"enabled": False}


@pytest.fixture
def clean_env(tmp_path) -> dict[str, str]:
    """No DAGSTER_HOME, no DAGSTER_POSTGRES_URL: what a fresh clone's shell has."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "DAGSTER_POSTGRES_URL")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # Loading the location migrates the warehouse: keep it out of the repository's data/.
    env["MOO_MARKETS_DATABASE_URL"] = f"sqlite:///{tmp_path / 'warehouse.db'}"
    return env


@pytest.mark.parametrize(
    "argv",
    [
        ["dagster", "definitions", "validate"],
        ["dg", "check", "defs"],
    ],
    ids=["dagster", "dg"],
)
def test_plain_dagster_commands_work_in_the_repository_root(argv, clean_env) -> None:
    result = subprocess.run(
        [str(BIN / argv[0]), *argv[1:]],
        cwd=ROOT,
        env={**clean_env, "VIRTUAL_ENV": str(BIN.parent)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output
    assert "DAGSTER_POSTGRES_URL" not in output
    assert "BetaWarning" not in output
