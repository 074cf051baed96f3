"""Revisions and loads of every market-data table (issue 15).

Revision ID: 0006
Revises: 0005

Rendered by ``python -m moo_markets.warehouse.render`` from the declared schema
(``warehouse/revisions.py`` derives ``<table>_revisions`` and ``<table>_loads``
from each dataset table and the trading calendar). The rows already stored are
recorded as loaded now: revisions start with this migration.
"""

import datetime as dt

import sqlalchemy as sa
from alembic import op

from moo_markets.warehouse.types import TokyoDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breakdown_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of breakdown (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "breakdown_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("long_sell_va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("shrt_no_mrgn_va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("mrgn_sell_new_va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("mrgn_sell_close_va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("long_buy_va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("mrgn_buy_new_va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("mrgn_buy_close_va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("long_sell_vo", sa.BigInteger(), nullable=True),
        sa.Column("shrt_no_mrgn_vo", sa.BigInteger(), nullable=True),
        sa.Column("mrgn_sell_new_vo", sa.BigInteger(), nullable=True),
        sa.Column("mrgn_sell_close_vo", sa.BigInteger(), nullable=True),
        sa.Column("long_buy_vo", sa.BigInteger(), nullable=True),
        sa.Column("mrgn_buy_new_vo", sa.BigInteger(), nullable=True),
        sa.Column("mrgn_buy_close_vo", sa.BigInteger(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "superseded_at"),
        comment="Earlier versions of breakdown rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "breakdown_revisions_superseded_at_idx",
        "breakdown_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "daily_bars_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of daily_bars (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "daily_bars_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("upper_limit", sa.String(length=1), nullable=True),
        sa.Column("lower_limit", sa.String(length=1), nullable=True),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.Column("turnover_value", sa.BigInteger(), nullable=True),
        sa.Column("adjustment_factor", sa.Numeric(precision=18, scale=10), nullable=True),
        sa.Column("adj_open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("adj_high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("adj_low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("adj_close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("adj_volume", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("morning_open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("morning_high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("morning_low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("morning_close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("morning_upper_limit", sa.String(length=1), nullable=True),
        sa.Column("morning_lower_limit", sa.String(length=1), nullable=True),
        sa.Column("morning_volume", sa.BigInteger(), nullable=True),
        sa.Column("morning_turnover_value", sa.BigInteger(), nullable=True),
        sa.Column("morning_adj_open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("morning_adj_high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("morning_adj_low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("morning_adj_close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("morning_adj_volume", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("afternoon_open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("afternoon_high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("afternoon_low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("afternoon_close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("afternoon_upper_limit", sa.String(length=1), nullable=True),
        sa.Column("afternoon_lower_limit", sa.String(length=1), nullable=True),
        sa.Column("afternoon_volume", sa.BigInteger(), nullable=True),
        sa.Column("afternoon_turnover_value", sa.BigInteger(), nullable=True),
        sa.Column("afternoon_adj_open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("afternoon_adj_high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("afternoon_adj_low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("afternoon_adj_close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("afternoon_adj_volume", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "superseded_at"),
        comment="Earlier versions of daily_bars rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "daily_bars_revisions_superseded_at_idx",
        "daily_bars_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "dividends_loads",
        sa.Column("pub_date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this pub_date were first stored",
        ),
        sa.PrimaryKeyConstraint("pub_date"),
        comment="First load of each pub_date of dividends (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "dividends_revisions",
        sa.Column("pub_date", sa.Date(), nullable=False),
        sa.Column("pub_time", sa.Time(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("ref_no", sa.Text(), nullable=False),
        sa.Column("stat_code", sa.Text(), nullable=True),
        sa.Column("board_date", sa.Date(), nullable=True),
        sa.Column("if_code", sa.Text(), nullable=True),
        sa.Column("fr_code", sa.Text(), nullable=True),
        sa.Column("if_term", sa.Text(), nullable=True),
        sa.Column("div_rate", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("rec_date", sa.Date(), nullable=True),
        sa.Column("ex_date", sa.Date(), nullable=True),
        sa.Column("act_rec_date", sa.Date(), nullable=True),
        sa.Column("pay_date", sa.Date(), nullable=True),
        sa.Column("ca_ref_no", sa.Text(), nullable=True),
        sa.Column("dist_amt", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ret_earn", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("deem_div", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("deem_cap_gains", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("net_asset_dec_ratio", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("comm_spec_code", sa.Text(), nullable=True),
        sa.Column("comm_div_rate", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("spec_div_rate", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("pub_date", "ref_no", "superseded_at"),
        comment="Earlier versions of dividends rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "dividends_revisions_superseded_at_idx",
        "dividends_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "earnings_calendar_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of earnings_calendar (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "earnings_calendar_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("fiscal_year", sa.Text(), nullable=True),
        sa.Column("sector_name", sa.Text(), nullable=True),
        sa.Column("fiscal_quarter", sa.Text(), nullable=True),
        sa.Column("market", sa.Text(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "superseded_at"),
        comment="Earlier versions of earnings_calendar rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "earnings_calendar_revisions_superseded_at_idx",
        "earnings_calendar_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "earnings_dates_loads",
        sa.Column("pub_date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this pub_date were first stored",
        ),
        sa.PrimaryKeyConstraint("pub_date"),
        comment="First load of each pub_date of earnings_dates (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "earnings_dates_revisions",
        sa.Column("pub_date", sa.Date(), nullable=False),
        sa.Column("scheduled_date", sa.Date(), nullable=True),
        sa.Column("fiscal_quarter", sa.Text(), nullable=False),
        sa.Column("fiscal_year_end", sa.Text(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_name_en", sa.Text(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint(
            "pub_date", "fiscal_quarter", "fiscal_year_end", "code", "superseded_at"
        ),
        comment="Earlier versions of earnings_dates rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "earnings_dates_revisions_superseded_at_idx",
        "earnings_dates_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "fins_details_loads",
        sa.Column("disc_date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this disc_date were first stored",
        ),
        sa.PrimaryKeyConstraint("disc_date"),
        comment="First load of each disc_date of fins_details (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "fins_details_revisions",
        sa.Column("disc_date", sa.Date(), nullable=False),
        sa.Column("disc_time", sa.Time(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("disc_no", sa.String(length=16), nullable=False),
        sa.Column("doc_type", sa.Text(), nullable=True),
        sa.Column("statements", sa.JSON(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("disc_date", "disc_no", "superseded_at"),
        comment="Earlier versions of fins_details rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "fins_details_revisions_superseded_at_idx",
        "fins_details_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "fins_summary_loads",
        sa.Column("disc_date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this disc_date were first stored",
        ),
        sa.PrimaryKeyConstraint("disc_date"),
        comment="First load of each disc_date of fins_summary (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "fins_summary_revisions",
        sa.Column("disc_date", sa.Date(), nullable=False),
        sa.Column("disc_time", sa.Time(), nullable=True),
        sa.Column("code", sa.String(length=16), nullable=True),
        sa.Column("disc_no", sa.String(length=16), nullable=False),
        sa.Column("doc_type", sa.Text(), nullable=True),
        sa.Column("cur_per_type", sa.Text(), nullable=True),
        sa.Column("cur_per_st", sa.Date(), nullable=True),
        sa.Column("cur_per_en", sa.Date(), nullable=True),
        sa.Column("cur_fy_st", sa.Date(), nullable=True),
        sa.Column("cur_fy_en", sa.Date(), nullable=True),
        sa.Column("nxt_fy_st", sa.Date(), nullable=True),
        sa.Column("nxt_fy_en", sa.Date(), nullable=True),
        sa.Column("sales", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("op", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("od_p", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("np", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("eps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("deps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ta", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("eq", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("eq_ar", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("bps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("cfo", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("cfi", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("cff", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("cash_eq", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("div1_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("div2_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("div3_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("div_fy", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("div_ann", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("div_unit", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("div_total_ann", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("payout_ratio_ann", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("f_div1_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("f_div2_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("f_div3_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("f_div_fy", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("f_div_ann", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("f_div_unit", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("f_div_total_ann", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("f_payout_ratio_ann", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("nx_f_div1_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_f_div2_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_f_div3_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_f_div_fy", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_f_div_ann", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_f_div_unit", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_f_payout_ratio_ann", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("f_sales2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fop2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("f_od_p2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fnp2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("feps2_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_f_sales2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fop2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_f_od_p2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_f_np2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_feps2_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("f_sales", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fop", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("f_od_p", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fnp", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("feps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_f_sales", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fop", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_f_od_p", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_f_np", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_feps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("mat_chg_sub", sa.Boolean(), nullable=True),
        sa.Column("sig_chg_in_c", sa.Boolean(), nullable=True),
        sa.Column("chg_by_as_rev", sa.Boolean(), nullable=True),
        sa.Column("chg_no_as_rev", sa.Boolean(), nullable=True),
        sa.Column("chg_ac_est", sa.Boolean(), nullable=True),
        sa.Column("retro_rst", sa.Boolean(), nullable=True),
        sa.Column("sh_out_fy", sa.BigInteger(), nullable=True),
        sa.Column("tr_sh_fy", sa.BigInteger(), nullable=True),
        sa.Column("avg_sh", sa.BigInteger(), nullable=True),
        sa.Column("nc_sales", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ncop", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nc_od_p", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ncnp", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nceps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ncta", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nc_eq", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nc_eq_ar", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("ncbps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("fnc_sales2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fncop2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fnc_od_p2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fncnp2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fnceps2_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_fnc_sales2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fncop2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fnc_od_p2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fncnp2_q", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fnceps2_q", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("fnc_sales", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fncop", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fnc_od_p", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fncnp", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("fnceps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("nx_fnc_sales", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fncop", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fnc_od_p", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fncnp", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nx_fnceps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("sh_eq", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("nc_sh_eq", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("roe", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("ncroe", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("disc_date", "disc_no", "superseded_at"),
        comment="Earlier versions of fins_summary rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "fins_summary_revisions_superseded_at_idx",
        "fins_summary_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "futures_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of futures (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "futures_revisions",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("product_category", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("o", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("h", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("l", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("c", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("mo", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("mh", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ml", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("mc", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("eo", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("eh", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("el", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ec", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ao", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ah", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("al", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ac", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("vo", sa.BigInteger(), nullable=True),
        sa.Column("oi", sa.BigInteger(), nullable=True),
        sa.Column("va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("contract_month", sa.Text(), nullable=True),
        sa.Column("vo_oa", sa.BigInteger(), nullable=True),
        sa.Column("em_mrgn_trg_div", sa.Text(), nullable=False),
        sa.Column("ltd", sa.Date(), nullable=True),
        sa.Column("sqd", sa.Date(), nullable=True),
        sa.Column("settle", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ccm_flag", sa.Text(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("code", "date", "em_mrgn_trg_div", "superseded_at"),
        comment="Earlier versions of futures rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "futures_revisions_superseded_at_idx", "futures_revisions", ["superseded_at"], unique=False
    )
    op.create_table(
        "indices_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of indices (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "indices_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "superseded_at"),
        comment="Earlier versions of indices rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "indices_revisions_superseded_at_idx", "indices_revisions", ["superseded_at"], unique=False
    )
    op.create_table(
        "investor_types_loads",
        sa.Column("pub_date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this pub_date were first stored",
        ),
        sa.PrimaryKeyConstraint("pub_date"),
        comment="First load of each pub_date of investor_types (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "investor_types_revisions",
        sa.Column("pub_date", sa.Date(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("prop_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("prop_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("prop_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("prop_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("brk_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("brk_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("brk_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("brk_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("tot_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("tot_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("tot_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("tot_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ind_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ind_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ind_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ind_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("frgn_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("frgn_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("frgn_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("frgn_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("sec_co_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("sec_co_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("sec_co_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("sec_co_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("inv_tr_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("inv_tr_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("inv_tr_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("inv_tr_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("bus_co_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("bus_co_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("bus_co_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("bus_co_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("oth_co_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("oth_co_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("oth_co_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("oth_co_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ins_co_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ins_co_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ins_co_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("ins_co_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("bank_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("bank_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("bank_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("bank_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("trst_bnk_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("trst_bnk_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("trst_bnk_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("trst_bnk_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("oth_fin_sell", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("oth_fin_buy", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("oth_fin_tot", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("oth_fin_bal", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("pub_date", "start_date", "end_date", "section", "superseded_at"),
        comment="Earlier versions of investor_types rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "investor_types_revisions_superseded_at_idx",
        "investor_types_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "listed_companies_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of listed_companies (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "listed_companies_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("company_name", sa.Text(), nullable=True),
        sa.Column("company_name_en", sa.Text(), nullable=True),
        sa.Column("sector17_code", sa.String(length=4), nullable=True),
        sa.Column("sector17_name", sa.Text(), nullable=True),
        sa.Column("sector33_code", sa.String(length=4), nullable=True),
        sa.Column("sector33_name", sa.Text(), nullable=True),
        sa.Column("scale_category", sa.Text(), nullable=True),
        sa.Column("market_code", sa.String(length=4), nullable=True),
        sa.Column("market_name", sa.Text(), nullable=True),
        sa.Column("margin_code", sa.String(length=2), nullable=True),
        sa.Column("margin_name", sa.Text(), nullable=True),
        sa.Column("product_category", sa.String(length=8), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "superseded_at"),
        comment="Earlier versions of listed_companies rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "listed_companies_revisions_superseded_at_idx",
        "listed_companies_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "margin_alerts_loads",
        sa.Column("pub_date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this pub_date were first stored",
        ),
        sa.PrimaryKeyConstraint("pub_date"),
        comment="First load of each pub_date of margin_alerts (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "margin_alerts_revisions",
        sa.Column("pub_date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("application_date", sa.Date(), nullable=False),
        sa.Column("pub_reason_restricted", sa.Boolean(), nullable=True),
        sa.Column("pub_reason_daily_publication", sa.Boolean(), nullable=True),
        sa.Column("pub_reason_monitoring", sa.Boolean(), nullable=True),
        sa.Column("pub_reason_restricted_by_jsf", sa.Boolean(), nullable=True),
        sa.Column("pub_reason_precaution_by_jsf", sa.Boolean(), nullable=True),
        sa.Column("pub_reason_unclear_or_sec_on_alert", sa.Boolean(), nullable=True),
        sa.Column("shrt_out", sa.BigInteger(), nullable=True),
        sa.Column("shrt_out_chg", sa.BigInteger(), nullable=True),
        sa.Column("long_out", sa.BigInteger(), nullable=True),
        sa.Column("long_out_chg", sa.BigInteger(), nullable=True),
        sa.Column("shrt_out_ratio", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("long_out_ratio", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("sl_ratio", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("shrt_neg_out", sa.BigInteger(), nullable=True),
        sa.Column("shrt_neg_out_chg", sa.BigInteger(), nullable=True),
        sa.Column("shrt_std_out", sa.BigInteger(), nullable=True),
        sa.Column("shrt_std_out_chg", sa.BigInteger(), nullable=True),
        sa.Column("long_neg_out", sa.BigInteger(), nullable=True),
        sa.Column("long_neg_out_chg", sa.BigInteger(), nullable=True),
        sa.Column("long_std_out", sa.BigInteger(), nullable=True),
        sa.Column("long_std_out_chg", sa.BigInteger(), nullable=True),
        sa.Column("tse_margin_regulation", sa.Text(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("pub_date", "code", "application_date", "superseded_at"),
        comment="Earlier versions of margin_alerts rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "margin_alerts_revisions_superseded_at_idx",
        "margin_alerts_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "margin_interest_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of margin_interest (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "margin_interest_revisions",
        sa.Column("pub_date", sa.Date(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("issue_type", sa.Text(), nullable=True),
        sa.Column("shrt_vol", sa.BigInteger(), nullable=True),
        sa.Column("long_vol", sa.BigInteger(), nullable=True),
        sa.Column("shrt_neg_vol", sa.BigInteger(), nullable=True),
        sa.Column("long_neg_vol", sa.BigInteger(), nullable=True),
        sa.Column("shrt_std_vol", sa.BigInteger(), nullable=True),
        sa.Column("long_std_vol", sa.BigInteger(), nullable=True),
        sa.Column("shrt_val", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("long_val", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("shrt_neg_val", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("long_neg_val", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("shrt_std_val", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("long_std_val", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "superseded_at"),
        comment="Earlier versions of margin_interest rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "margin_interest_revisions_superseded_at_idx",
        "margin_interest_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "morning_bars_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of morning_bars (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "morning_bars_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("volume", sa.BigInteger(), nullable=True),
        sa.Column("turnover_value", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "superseded_at"),
        comment="Earlier versions of morning_bars rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "morning_bars_revisions_superseded_at_idx",
        "morning_bars_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "options_225_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of options_225 (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "options_225_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("o", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("h", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("l", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("c", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("eo", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("eh", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("el", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ec", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ao", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ah", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("al", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ac", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("vo", sa.BigInteger(), nullable=True),
        sa.Column("oi", sa.BigInteger(), nullable=True),
        sa.Column("va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("contract_month", sa.Text(), nullable=True),
        sa.Column("strike", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("vo_oa", sa.BigInteger(), nullable=True),
        sa.Column("em_mrgn_trg_div", sa.Text(), nullable=False),
        sa.Column("pc_div", sa.Text(), nullable=True),
        sa.Column("ltd", sa.Date(), nullable=True),
        sa.Column("sqd", sa.Date(), nullable=True),
        sa.Column("settle", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("theo", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("base_vol", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("under_px", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("iv", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("ir", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "em_mrgn_trg_div", "superseded_at"),
        comment="Earlier versions of options_225 rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "options_225_revisions_superseded_at_idx",
        "options_225_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "options_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of options (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "options_revisions",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("product_category", sa.Text(), nullable=True),
        sa.Column("underlying_code", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("o", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("h", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("l", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("c", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("mo", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("mh", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ml", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("mc", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("eo", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("eh", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("el", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ec", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ao", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ah", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("al", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("ac", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("vo", sa.BigInteger(), nullable=True),
        sa.Column("oi", sa.BigInteger(), nullable=True),
        sa.Column("va", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("contract_month", sa.Text(), nullable=True),
        sa.Column("strike", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("vo_oa", sa.BigInteger(), nullable=True),
        sa.Column("em_mrgn_trg_div", sa.Text(), nullable=False),
        sa.Column("pc_div", sa.Text(), nullable=True),
        sa.Column("ltd", sa.Date(), nullable=True),
        sa.Column("sqd", sa.Date(), nullable=True),
        sa.Column("settle", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("theo", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("base_vol", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("under_px", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("iv", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("ir", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("ccm_flag", sa.Text(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("code", "date", "em_mrgn_trg_div", "superseded_at"),
        comment="Earlier versions of options rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "options_revisions_superseded_at_idx", "options_revisions", ["superseded_at"], unique=False
    )
    op.create_table(
        "short_ratio_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of short_ratio (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "short_ratio_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("sector33_code", sa.String(length=16), nullable=False),
        sa.Column("sell_ex_short_value", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("short_with_restriction_value", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column("short_no_restriction_value", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "sector33_code", "superseded_at"),
        comment="Earlier versions of short_ratio rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "short_ratio_revisions_superseded_at_idx",
        "short_ratio_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "short_sale_reports_loads",
        sa.Column("disc_date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this disc_date were first stored",
        ),
        sa.PrimaryKeyConstraint("disc_date"),
        comment="First load of each disc_date of short_sale_reports (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "short_sale_reports_revisions",
        sa.Column("disc_date", sa.Date(), nullable=False),
        sa.Column("calc_date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("short_seller", sa.Text(), nullable=False),
        sa.Column("short_seller_address", sa.Text(), nullable=True),
        sa.Column("discretionary_investor", sa.Text(), nullable=False),
        sa.Column("discretionary_investor_address", sa.Text(), nullable=True),
        sa.Column("fund_name", sa.Text(), nullable=False),
        sa.Column("short_position_ratio", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("short_position_shares", sa.BigInteger(), nullable=True),
        sa.Column("short_position_units", sa.BigInteger(), nullable=True),
        sa.Column("previous_report_date", sa.Date(), nullable=True),
        sa.Column("previous_report_ratio", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint(
            "disc_date",
            "calc_date",
            "code",
            "short_seller",
            "discretionary_investor",
            "fund_name",
            "superseded_at",
        ),
        comment="Earlier versions of short_sale_reports rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "short_sale_reports_revisions_superseded_at_idx",
        "short_sale_reports_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "topix_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of topix (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "topix_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("open", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("high", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("low", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("close", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "superseded_at"),
        comment="Earlier versions of topix rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "topix_revisions_superseded_at_idx", "topix_revisions", ["superseded_at"], unique=False
    )
    op.create_table(
        "trading_calendar_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of trading_calendar (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "trading_calendar_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("hol_div", sa.String(length=1), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "superseded_at"),
        comment="Earlier versions of trading_calendar rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "trading_calendar_revisions_superseded_at_idx",
        "trading_calendar_revisions",
        ["superseded_at"],
        unique=False,
    )
    op.create_table(
        "valuation_loads",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column(
            "loaded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when rows of this date were first stored",
        ),
        sa.PrimaryKeyConstraint("date"),
        comment="First load of each date of valuation (moo_markets.warehouse.revisions)",
    )
    op.create_table(
        "valuation_revisions",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("eps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("forecast_eps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("bps", sa.Numeric(precision=20, scale=6), nullable=True),
        sa.Column("roe", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("forecast_roe", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("per", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("forecast_per", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("pbr", sa.Numeric(precision=20, scale=10), nullable=True),
        sa.Column("market_cap_million_yen", sa.Numeric(precision=24, scale=6), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when this version was stored",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when a later write replaced or removed it",
        ),
        sa.Column(
            "change_kind",
            sa.String(length=8),
            nullable=False,
            comment="updated, deleted, or inserted (the key was absent until superseded_at)",
        ),
        sa.PrimaryKeyConstraint("date", "code", "superseded_at"),
        comment="Earlier versions of valuation rows (moo_markets.warehouse.revisions)",
    )
    op.create_index(
        "valuation_revisions_superseded_at_idx",
        "valuation_revisions",
        ["superseded_at"],
        unique=False,
    )
    _record_stored_rows_as_loaded()


LEADS = {
    "breakdown": "date", "daily_bars": "date", "dividends": "pub_date",
    "earnings_calendar": "date", "earnings_dates": "pub_date", "fins_details": "disc_date",
    "fins_summary": "disc_date", "futures": "date", "indices": "date",
    "investor_types": "pub_date", "listed_companies": "date", "margin_alerts": "pub_date",
    "margin_interest": "date", "morning_bars": "date", "options": "date",
    "options_225": "date", "short_ratio": "date", "short_sale_reports": "disc_date",
    "topix": "date", "trading_calendar": "date", "valuation": "date",
}  # fmt: skip
"""Each table's leading key column (its partition day), as when this migration was written."""


def _record_stored_rows_as_loaded() -> None:
    bind = op.get_bind()
    now = sa.literal(dt.datetime.now(dt.UTC), TokyoDateTime())
    for name, lead in LEADS.items():
        stored = sa.table(name, sa.column(lead))
        loads = sa.table(f"{name}_loads", sa.column(lead), sa.column("loaded_at"))
        bind.execute(
            sa.insert(loads).from_select(
                [lead, "loaded_at"], sa.select(stored.c[lead], now).distinct()
            )
        )


def downgrade() -> None:
    op.drop_index("valuation_revisions_superseded_at_idx", table_name="valuation_revisions")
    op.drop_table("valuation_revisions")
    op.drop_table("valuation_loads")
    op.drop_index(
        "trading_calendar_revisions_superseded_at_idx", table_name="trading_calendar_revisions"
    )
    op.drop_table("trading_calendar_revisions")
    op.drop_table("trading_calendar_loads")
    op.drop_index("topix_revisions_superseded_at_idx", table_name="topix_revisions")
    op.drop_table("topix_revisions")
    op.drop_table("topix_loads")
    op.drop_index(
        "short_sale_reports_revisions_superseded_at_idx", table_name="short_sale_reports_revisions"
    )
    op.drop_table("short_sale_reports_revisions")
    op.drop_table("short_sale_reports_loads")
    op.drop_index("short_ratio_revisions_superseded_at_idx", table_name="short_ratio_revisions")
    op.drop_table("short_ratio_revisions")
    op.drop_table("short_ratio_loads")
    op.drop_index("options_revisions_superseded_at_idx", table_name="options_revisions")
    op.drop_table("options_revisions")
    op.drop_table("options_loads")
    op.drop_index("options_225_revisions_superseded_at_idx", table_name="options_225_revisions")
    op.drop_table("options_225_revisions")
    op.drop_table("options_225_loads")
    op.drop_index("morning_bars_revisions_superseded_at_idx", table_name="morning_bars_revisions")
    op.drop_table("morning_bars_revisions")
    op.drop_table("morning_bars_loads")
    op.drop_index(
        "margin_interest_revisions_superseded_at_idx", table_name="margin_interest_revisions"
    )
    op.drop_table("margin_interest_revisions")
    op.drop_table("margin_interest_loads")
    op.drop_index("margin_alerts_revisions_superseded_at_idx", table_name="margin_alerts_revisions")
    op.drop_table("margin_alerts_revisions")
    op.drop_table("margin_alerts_loads")
    op.drop_index(
        "listed_companies_revisions_superseded_at_idx", table_name="listed_companies_revisions"
    )
    op.drop_table("listed_companies_revisions")
    op.drop_table("listed_companies_loads")
    op.drop_index(
        "investor_types_revisions_superseded_at_idx", table_name="investor_types_revisions"
    )
    op.drop_table("investor_types_revisions")
    op.drop_table("investor_types_loads")
    op.drop_index("indices_revisions_superseded_at_idx", table_name="indices_revisions")
    op.drop_table("indices_revisions")
    op.drop_table("indices_loads")
    op.drop_index("futures_revisions_superseded_at_idx", table_name="futures_revisions")
    op.drop_table("futures_revisions")
    op.drop_table("futures_loads")
    op.drop_index("fins_summary_revisions_superseded_at_idx", table_name="fins_summary_revisions")
    op.drop_table("fins_summary_revisions")
    op.drop_table("fins_summary_loads")
    op.drop_index("fins_details_revisions_superseded_at_idx", table_name="fins_details_revisions")
    op.drop_table("fins_details_revisions")
    op.drop_table("fins_details_loads")
    op.drop_index(
        "earnings_dates_revisions_superseded_at_idx", table_name="earnings_dates_revisions"
    )
    op.drop_table("earnings_dates_revisions")
    op.drop_table("earnings_dates_loads")
    op.drop_index(
        "earnings_calendar_revisions_superseded_at_idx", table_name="earnings_calendar_revisions"
    )
    op.drop_table("earnings_calendar_revisions")
    op.drop_table("earnings_calendar_loads")
    op.drop_index("dividends_revisions_superseded_at_idx", table_name="dividends_revisions")
    op.drop_table("dividends_revisions")
    op.drop_table("dividends_loads")
    op.drop_index("daily_bars_revisions_superseded_at_idx", table_name="daily_bars_revisions")
    op.drop_table("daily_bars_revisions")
    op.drop_table("daily_bars_loads")
    op.drop_index("breakdown_revisions_superseded_at_idx", table_name="breakdown_revisions")
    op.drop_table("breakdown_revisions")
    op.drop_table("breakdown_loads")
