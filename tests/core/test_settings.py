"""One settings object: every variable validated at start, named in every error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from moo_markets.core.catalog import JOBS, LISTED_COMPANIES
from moo_markets.core.cron import CronError, validate_cron
from moo_markets.core.settings import Settings, SettingsError, env_names, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_and_derived_cron_variables(monkeypatch):
    for name in env_names():
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.step_retries == 2 and settings.mirror_interval_seconds == 15
    assert settings.jquants_plan == "free" and settings.database_url is None
    assert {job.cron_env_var for job in JOBS} <= set(env_names())
    assert settings.cron_for(LISTED_COMPANIES) == LISTED_COMPANIES.default_cron
    monkeypatch.setenv(LISTED_COMPANIES.cron_env_var, " 30  9 * * 1-5 ")
    assert load_settings().cron_for(LISTED_COMPANIES) == "30 9 * * 1-5"


@pytest.mark.parametrize(
    ("variable", "value", "why"),
    [
        ("MOO_MARKETS_STEP_RETRIES", "many", "valid integer"),
        ("MOO_MARKETS_RETENTION_DAYS", "0", "greater than or equal to 1"),
        ("JQUANTS_PLAN", "gold", "'free', 'light', 'standard' or 'premium'"),
        ("JQUANTS_BASE_URL", "api.jquants.com", "http(s) URL"),
        ("MOO_MARKETS_DAILY_BARS_CRON", "0 0 31 2 *", "never fires"),
        ("MOO_MARKETS_LISTED_COMPANIES_CRON", "@daily", "use 5"),
    ],
)
def test_a_bad_value_names_the_variable_and_why(monkeypatch, variable, value, why):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert f"{variable}: " in str(info.value) and why in str(info.value)


def test_secrets_never_appear_in_errors_or_repr(monkeypatch):
    monkeypatch.setenv("JQUANTS_API_KEY", "key-123-secret")
    monkeypatch.setenv("MOO_MARKETS_DATABASE_URL", "postgresql://u:pw-secret@h/db")
    monkeypatch.setenv("MOO_MARKETS_API_PORT", "nope")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "secret" not in str(info.value)
    monkeypatch.delenv("MOO_MARKETS_API_PORT")
    settings = load_settings()
    assert "secret" not in repr(settings)
    assert set(settings.secrets()) == {"key-123-secret", "postgresql://u:pw-secret@h/db"}


def test_cron_rule():
    assert validate_cron("15 8 * * 1-5") == "15 8 * * 1-5"
    for bad in ("0 0 31 2 *", "0 0 30 2 *", "* * * *", "61 * * * *", "@daily", ""):
        with pytest.raises(CronError):
            validate_cron(bad)


def test_cli_commands_exit_2_with_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "MOO_MARKETS_STEP_RETRIES": "-1", "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "moo_markets.cli", "mirror", "sync"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mirror sync: invalid setting MOO_MARKETS_STEP_RETRIES: Input should be greater than "
        "or equal to 0 (got '-1')"
    ]


def test_the_readme_configuration_table_lists_every_setting():
    """Both tables of the README (configuration and REST API) together name every variable
    Settings reads, and nothing Settings does not read (Dagster's own excepted)."""
    text = (ROOT / "README.md").read_text()
    documented = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            documented |= set(
                re.findall(r"`((?:MOO_MARKETS|JQUANTS|DAGSTER)_[A-Z0-9_]+)`", first_cell)
            )
    documented.discard("DAGSTER_POSTGRES_URL")  # read by Dagster's instance, not by moo_markets
    assert documented == set(env_names()) | {"DAGSTER_HOME"}
    assert set(Settings.model_fields) == set(env_names().values())
