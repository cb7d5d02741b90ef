"""Migrations are the only way the schema is made: they agree with the models, and go down and up again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, make_url, text

from app.cli import alembic_config
from app.db import Base, get_engine


def test_models_and_migrations_agree(database):
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


@pytest.fixture
def scratch_url(database, tmp_path) -> Iterator[str]:
    """An empty database of the same kind as the test database."""
    url = get_engine().url
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    name = f"lms_scratch_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_to_head_downgrade_to_base_and_up_again(scratch_url):
    engine = create_engine(make_url(scratch_url))
    cfg = alembic_config()
    cfg.attributes["configure_logger"] = False
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert {"officials", "appointments", "requirements", "audit_events", "users"} <= set(
            inspect(engine).get_table_names()
        )
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        assert "officials" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_check_constraints_and_indexes_of_the_models_exist_in_the_database(database):
    """compare_metadata does not look at CHECK constraints; this does, by name."""
    insp = inspect(get_engine())
    for table in Base.metadata.sorted_tables:
        model_checks = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        db_checks = {c["name"] for c in insp.get_check_constraints(table.name)}
        assert model_checks <= db_checks, f"{table.name}: missing CHECK constraints {model_checks - db_checks}"
