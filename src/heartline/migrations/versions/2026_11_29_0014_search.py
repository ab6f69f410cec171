"""search: full-text search over customers, orders and messages (SQLite FTS5, PostgreSQL tsvector)

The index is kept by the database itself, so every way a row is written (the API, the bulk CSV
importer, the pipeline, retention blanking text, erasure deleting a customer) keeps it current
in the same transaction:

- SQLite: two contentless FTS5 tables (`search_messages` over interactions' subject and text,
  `search_customers` over customers' name, email, phone digits and external id) with
  `unicode61 remove_diacritics 2` (accent folding), filled by triggers on insert, on delete and
  on update of the indexed columns (a status change does not touch the index). Contentless: the
  index holds no copy of the text.
- PostgreSQL: a generated `search_vector` tsvector column on interactions and on customers, each
  with a GIN index. Accents are folded with `translate()` (an immutable built-in; `unaccent`
  may need a superuser to install); the same table folds the query words
  (heartline.interactions.search_text.FOLD_FROM / FOLD_TO, checked equal by the tests).

A phone number is indexed as every suffix of its digits, so any run of four or more of its
digits finds it ("0958", "7946 0958", "+44 20 7946 0958").

SQLite drops a table's triggers when batch mode recreates the table: a later migration that
recreates interactions or customers must create these triggers again and rebuild the index
(tests/interactions/test_search.py checks they exist at head).

Existing rows are indexed here (the FTS tables are filled from the tables; the generated
columns are computed when they are added).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Latin letters with diacritics -> base letter, then separators -> space (see search_text).
FOLD_FROM = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģ"
    "ĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖ"
    "ǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ@.-/_+:'#&"
)
FOLD_TO = (
    "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggg"
    "hhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzoouuaaiioouuuu"
    "uuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioooorrrruuuusstthhaaeeooooooooyy          "
)
PHONE_SUFFIXES = 12
TOKENIZE = "unicode61 remove_diacritics 2"


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sqlite_phone(row: str) -> str:
    """Every suffix of the phone's digits, space-separated."""
    digits = f"coalesce({row}.phone, '')"
    for ch in " -+().,/":
        digits = f"replace({digits}, '{ch}', '')"
    suffixes = " || ' ' || ".join(["d"] + [f"substr(d, {k})" for k in range(2, PHONE_SUFFIXES + 1)])
    return f"(SELECT {suffixes} FROM (SELECT {digits} AS d))"


def _sqlite_customer_values(row: str) -> str:
    return (
        f"{row}.id, {row}.name, coalesce({row}.email, ''), {_sqlite_phone(row)}, "
        f"coalesce({row}.external_id, '')"
    )


SQLITE_UP = [
    f"CREATE VIRTUAL TABLE search_messages USING fts5(subject, text, content='', "
    f"tokenize='{TOKENIZE}')",
    f"CREATE VIRTUAL TABLE search_customers USING fts5(name, email, phone, ref, content='', "
    f"tokenize='{TOKENIZE}', prefix='2 3')",
    """CREATE TRIGGER search_messages_insert AFTER INSERT ON interactions BEGIN
      INSERT INTO search_messages(rowid, subject, text) VALUES (new.id, new.subject, new.text);
    END""",
    """CREATE TRIGGER search_messages_delete AFTER DELETE ON interactions BEGIN
      INSERT INTO search_messages(search_messages, rowid, subject, text)
        VALUES ('delete', old.id, old.subject, old.text);
    END""",
    """CREATE TRIGGER search_messages_update AFTER UPDATE OF subject, text ON interactions BEGIN
      INSERT INTO search_messages(search_messages, rowid, subject, text)
        VALUES ('delete', old.id, old.subject, old.text);
      INSERT INTO search_messages(rowid, subject, text) VALUES (new.id, new.subject, new.text);
    END""",
    f"""CREATE TRIGGER search_customers_insert AFTER INSERT ON customers BEGIN
      INSERT INTO search_customers(rowid, name, email, phone, ref)
        VALUES ({_sqlite_customer_values("new")});
    END""",
    f"""CREATE TRIGGER search_customers_delete AFTER DELETE ON customers BEGIN
      INSERT INTO search_customers(search_customers, rowid, name, email, phone, ref)
        VALUES ('delete', {_sqlite_customer_values("old")});
    END""",
    f"""CREATE TRIGGER search_customers_update
      AFTER UPDATE OF name, email, phone, external_id ON customers BEGIN
      INSERT INTO search_customers(search_customers, rowid, name, email, phone, ref)
        VALUES ('delete', {_sqlite_customer_values("old")});
      INSERT INTO search_customers(rowid, name, email, phone, ref)
        VALUES ({_sqlite_customer_values("new")});
    END""",
    "INSERT INTO search_messages(rowid, subject, text) SELECT id, subject, text FROM interactions",
    "INSERT INTO search_customers(rowid, name, email, phone, ref) "
    f"SELECT {_sqlite_customer_values('customers')} FROM customers",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_customers_update",
    "DROP TRIGGER IF EXISTS search_customers_delete",
    "DROP TRIGGER IF EXISTS search_customers_insert",
    "DROP TRIGGER IF EXISTS search_messages_update",
    "DROP TRIGGER IF EXISTS search_messages_delete",
    "DROP TRIGGER IF EXISTS search_messages_insert",
    "DROP TABLE IF EXISTS search_customers",
    "DROP TABLE IF EXISTS search_messages",
]


def _pg_fold(expr: str) -> str:
    return f"translate({expr}, {_lit(FOLD_FROM)}, {_lit(FOLD_TO)})"


def _pg_vector(expr: str, weight: str | None = None) -> str:
    vector = f"to_tsvector('simple'::regconfig, {expr})"
    return f"setweight({vector}, '{weight}')" if weight else vector


def _pg_phone() -> str:
    d = "regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')"
    return " || ' ' || ".join([d] + [f"substr({d}, {k})" for k in range(2, PHONE_SUFFIXES + 1)])


PG_MESSAGES = _pg_vector(_pg_fold("coalesce(subject, '') || ' ' || coalesce(text, '')"))
# Weights say where a word was found: A name, B email or external id, C phone digits.
PG_CUSTOMERS = " || ".join(
    [
        _pg_vector(_pg_fold("coalesce(name, '')"), "A"),
        _pg_vector(_pg_fold("coalesce(email, '') || ' ' || coalesce(external_id, '')"), "B"),
        _pg_vector(_pg_phone(), "C"),
    ]
)
PG_UP = [
    "ALTER TABLE interactions ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({PG_MESSAGES}) STORED",
    "CREATE INDEX ix_interactions_search ON interactions USING gin (search_vector)",
    "ALTER TABLE customers ADD COLUMN search_vector tsvector "
    f"GENERATED ALWAYS AS ({PG_CUSTOMERS}) STORED",
    "CREATE INDEX ix_customers_search ON customers USING gin (search_vector)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS ix_customers_search",
    "ALTER TABLE customers DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS ix_interactions_search",
    "ALTER TABLE interactions DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    for statement in PG_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in PG_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
