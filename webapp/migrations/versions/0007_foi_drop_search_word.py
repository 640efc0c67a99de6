"""PostgreSQL: drop the kept counts of common words (``foi_search_word``, migration 0006).

The log now counts every search from each worker's sets of the published responses
(``webapp/foi/sets.py``): a word's matches are read once per content version and kept,
so a count never reads the search table, and nothing reads the kept counts. Dropping
them also saves working them out at every import (about a second at 100,000
responses). Going back (downgrade) builds them again, as 0006 does. SQLite: nothing
changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import importlib.util
from pathlib import Path

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _counts_migration():
    """Migration 0006, whose upgrade creates the counts and whose downgrade drops them."""
    path = Path(__file__).with_name("0006_foi_search_word.py")
    spec = importlib.util.spec_from_file_location("foi_migration_0006", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    _counts_migration().downgrade()


def downgrade() -> None:
    _counts_migration().upgrade()
