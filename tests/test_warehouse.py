"""The warehouse migrates itself, matches its declared schema and refuses Dagster's storage."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from moo_markets.warehouse import WarehouseConfigError, get_engine, resolve_database_url
from moo_markets.warehouse.engine import dispose_engines
from moo_markets.warehouse.schema import metadata


def test_migrations_produce_exactly_the_declared_schema(warehouse_url: str) -> None:
    engine = get_engine(warehouse_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": "moo_markets_alembic_version"}
        )
        diff = [
            d
            for d in compare_metadata(context, metadata)
            # SQLite reflects no table comments; irrelevant there.
            if not (
                engine.dialect.name == "sqlite"
                and d[0] in ("add_table_comment", "remove_table_comment")
            )
        ]
    assert diff == []


def test_migration_is_idempotent_across_processes(warehouse_url: str) -> None:
    get_engine(warehouse_url)
    dispose_engines()  # as a fresh process would
    engine = get_engine(warehouse_url)
    with engine.connect() as connection:
        version = connection.execute(
            sa.text("SELECT version_num FROM moo_markets_alembic_version")
        ).scalar_one()
    assert version == "0001"


def test_refuses_the_database_holding_dagster_storage(postgres_database: str) -> None:
    """Dagster's PostgreSQL storage has its own `jobs` table: sharing a database must fail loudly."""
    from dagster_postgres import PostgresRunStorage

    storage_url = sa.engine.make_url(postgres_database).set(drivername="postgresql+psycopg2")
    PostgresRunStorage(
        storage_url.render_as_string(hide_password=False)
    )  # creates Dagster's tables
    from dagster_postgres import PostgresEventLogStorage

    PostgresEventLogStorage(storage_url.render_as_string(hide_password=False))
    with pytest.raises(WarehouseConfigError, match="Dagster's own storage"):
        get_engine(postgres_database)


def test_url_rules(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("MOO_MARKETS_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_database_url() == f"sqlite:///{tmp_path.resolve() / 'data' / 'moo_markets.db'}"
    monkeypatch.setenv("MOO_MARKETS_DATABASE_URL", "postgresql://u:p@h/db")
    assert resolve_database_url() == "postgresql+psycopg://u:p@h/db"
    assert resolve_database_url("postgres://h/db") == "postgresql+psycopg://h/db"
    with pytest.raises(WarehouseConfigError, match="unsupported"):
        get_engine("mysql://u:secretpw@h/db")


def test_errors_never_show_the_password() -> None:
    with pytest.raises(WarehouseConfigError) as info:
        get_engine("mysql://u:secretpw@h/db")
    assert "secretpw" not in str(info.value)
