"""Rollups in four-week blocks (28 days from the epoch): a year of one algorithm in 14 rows.

Revision ID: 0003_rollup_four_weeks
Revises: 0002_rollups
Create Date: 2026-12-01

Whole-range views (the all-time leaderboard, domain stats, a comparison) read these
instead of ~57,000 algorithm-day rows at 10M validations: on PostgreSQL the aggregate
over the day rows cost about 45 ms. Spelled out as 0002 is, and filled from the raw rows.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_rollup_four_weeks"
down_revision = "0002_rollups"
branch_labels = None
depends_on = None

SECONDS = 28 * 86400
LEVELS = ("algorithm", "domain", "all")


def upgrade() -> None:
    validations = sa.table(
        "validations", *[sa.column(name) for name in (
            "id", "algorithm_id", "domain_id", "quality", "confidence", "speedup", "tests", "created_at")])
    watermark = op.get_bind().execute(sa.text("SELECT watermark FROM rollup_state WHERE id = 1")).scalar() or 0
    for level in LEVELS:
        table = _create(level)
        # Up to the watermark, as the other rollups: later rows are folded into all of them on the next write.
        rows = _sums(validations, level).where(validations.c.id <= watermark)
        op.execute(table.insert().from_select([c.name for c in table.c], rows))


def downgrade() -> None:
    for level in LEVELS:
        op.drop_table(f"rollup_{level}_four_weeks")


def _create(level: str) -> sa.Table:
    keys = [sa.Column("bucket", sa.BigInteger, nullable=False, autoincrement=False)]
    if level == "algorithm":
        keys.append(sa.Column("algorithm_id", sa.String, nullable=False))
    if level != "all":
        keys.append(sa.Column("domain_id", sa.String, nullable=False))
    name = f"rollup_{level}_four_weeks"
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


def _sums(v, level: str) -> sa.Select:
    keys = [sa.cast(sa.func.floor(sa.extract("epoch", v.c.created_at) / SECONDS), sa.BigInteger).label("bucket")]
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
