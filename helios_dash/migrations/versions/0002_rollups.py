"""Rollups: validation sums per algorithm / domain / all and UTC quarter hour, hour and day, filled from the raw rows.

Revision ID: 0002_rollups
Revises: 0001_baseline
Create Date: 2026-12-01

Spelled out (not taken from helios_dash/data/rollups.py) so that later changes there,
which come with revisions of their own, never change what this revision creates.
Existing validations are folded in here, so an upgraded store reads exact rollups at once;
from then on every write maintains them (helios_dash.data.rollups.refresh_rollups).
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_rollups"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None

GRAINS = {"quarter": 900, "hour": 3600, "day": 86400}
LEVELS = ("algorithm", "domain", "all")


def upgrade() -> None:
    tables = {(level, grain): _create(level, grain) for level in LEVELS for grain in GRAINS}
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("watermark", sa.BigInteger, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The watermark scan (id > n) and raw reads at a range's edges; DuckDB prunes with
        # zone maps instead, and an index there slows bulk loads several-fold.
        op.create_index("validations_id_idx", "validations", ["id"])
        op.create_index("validations_created_at_idx", "validations", ["created_at"])
    validations = sa.table(
        "validations", *[sa.column(name) for name in (
            "id", "algorithm_id", "domain_id", "quality", "confidence", "speedup", "tests", "created_at")])
    for (level, grain), table in tables.items():
        op.execute(table.insert().from_select([c.name for c in table.c], _sums(validations, level, GRAINS[grain])))
    newest = op.get_bind().execute(sa.select(sa.func.coalesce(sa.func.max(validations.c.id), 0))).scalar_one()
    op.execute(sa.text("INSERT INTO rollup_state (id, watermark) VALUES (1, :newest)").bindparams(newest=newest))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("validations_created_at_idx", "validations")
        op.drop_index("validations_id_idx", "validations")
    op.drop_table("rollup_state")
    for level in LEVELS:
        for grain in GRAINS:
            op.drop_table(f"rollup_{level}_{grain}s")


def _create(level: str, grain: str) -> sa.Table:
    keys = [sa.Column("bucket", sa.BigInteger, nullable=False, autoincrement=False)]
    if level == "algorithm":
        keys.append(sa.Column("algorithm_id", sa.String, nullable=False))
    if level != "all":
        keys.append(sa.Column("domain_id", sa.String, nullable=False))
    name = f"rollup_{level}_{grain}s"
    return op.create_table(
        name, *keys,
        sa.Column("validations", sa.BigInteger, nullable=False),
        sa.Column("sum_quality", sa.Double, nullable=False),
        sa.Column("sum_square_quality", sa.Double, nullable=False),
        sa.Column("sum_confidence", sa.Double, nullable=False),
        sa.Column("sum_speedup", sa.Double, nullable=False),
        sa.Column("max_speedup", sa.Double, nullable=False),
        sa.Column("min_quality", sa.Double, nullable=False),
        sa.Column("successes", sa.BigInteger, nullable=False),
        sa.Column("tests", sa.BigInteger, nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*[c.name for c in keys], name=f"{name}_pkey"),
    )


def _sums(v, level: str, seconds: int) -> sa.Select:
    keys = [sa.cast(sa.func.floor(sa.extract("epoch", v.c.created_at) / seconds), sa.BigInteger).label("bucket")]
    if level == "algorithm":
        keys.append(v.c.algorithm_id)
    if level != "all":
        keys.append(v.c.domain_id)
    return sa.select(
        *keys,
        sa.func.count().label("validations"),
        sa.func.sum(v.c.quality),
        sa.func.sum(v.c.quality * v.c.quality),
        sa.func.sum(v.c.confidence),
        sa.func.sum(v.c.speedup),
        sa.func.max(v.c.speedup),
        sa.func.min(v.c.quality),
        sa.func.sum(sa.case((v.c.quality > 70, 1), else_=0)),
        sa.func.sum(v.c.tests),
        sa.func.min(v.c.created_at),
        sa.func.max(v.c.created_at),
    ).group_by(*keys)
