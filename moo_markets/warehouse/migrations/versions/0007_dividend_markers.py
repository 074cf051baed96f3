"""Dividend markers.

Revision ID: 0007
Revises: 0006

Rendered by ``python -m moo_markets.warehouse.render`` from the declared schema.

/fins/dividend sends ``-`` (undecided) and ``""`` (none) in the same fields; both leave the
typed column NULL, so ``<column>_mark`` keeps the ``-`` (``datasets/dividends.py``). Rows
stored before this migration have NULL marks until their date is fetched again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "dividends",
        sa.Column(
            "div_rate_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants DivRate when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "rec_date_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants RecDate when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "ex_date_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants ExDate when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "act_rec_date_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants ActRecDate when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "pay_date_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants PayDate when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "dist_amt_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants DistAmt when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "ret_earn_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants RetEarn when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "deem_div_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants DeemDiv when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "deem_cap_gains_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants DeemCapGains when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "net_asset_dec_ratio_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants NetAssetDecRatio when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "comm_div_rate_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants CommDivRate when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column(
        "dividends",
        sa.Column(
            "spec_div_rate_mark",
            sa.Text(),
            nullable=True,
            comment="J-Quants SpecDivRate when it sent a marker (-) instead of a value",
        ),
    )
    op.add_column("dividends_revisions", sa.Column("div_rate_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("rec_date_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("ex_date_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("act_rec_date_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("pay_date_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("dist_amt_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("ret_earn_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("deem_div_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("deem_cap_gains_mark", sa.Text(), nullable=True))
    op.add_column(
        "dividends_revisions", sa.Column("net_asset_dec_ratio_mark", sa.Text(), nullable=True)
    )
    op.add_column("dividends_revisions", sa.Column("comm_div_rate_mark", sa.Text(), nullable=True))
    op.add_column("dividends_revisions", sa.Column("spec_div_rate_mark", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("dividends_revisions", "spec_div_rate_mark")
    op.drop_column("dividends_revisions", "comm_div_rate_mark")
    op.drop_column("dividends_revisions", "net_asset_dec_ratio_mark")
    op.drop_column("dividends_revisions", "deem_cap_gains_mark")
    op.drop_column("dividends_revisions", "deem_div_mark")
    op.drop_column("dividends_revisions", "ret_earn_mark")
    op.drop_column("dividends_revisions", "dist_amt_mark")
    op.drop_column("dividends_revisions", "pay_date_mark")
    op.drop_column("dividends_revisions", "act_rec_date_mark")
    op.drop_column("dividends_revisions", "ex_date_mark")
    op.drop_column("dividends_revisions", "rec_date_mark")
    op.drop_column("dividends_revisions", "div_rate_mark")
    op.drop_column("dividends", "spec_div_rate_mark")
    op.drop_column("dividends", "comm_div_rate_mark")
    op.drop_column("dividends", "net_asset_dec_ratio_mark")
    op.drop_column("dividends", "deem_cap_gains_mark")
    op.drop_column("dividends", "deem_div_mark")
    op.drop_column("dividends", "ret_earn_mark")
    op.drop_column("dividends", "dist_amt_mark")
    op.drop_column("dividends", "pay_date_mark")
    op.drop_column("dividends", "act_rec_date_mark")
    op.drop_column("dividends", "ex_date_mark")
    op.drop_column("dividends", "rec_date_mark")
    op.drop_column("dividends", "div_rate_mark")
