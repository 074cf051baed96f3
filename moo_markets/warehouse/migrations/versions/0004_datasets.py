"""Tables of the 18 declared J-Quants datasets, one per spec.

``valuation``, ``fins_summary``, ``topix``, ``earnings_dates``, ``earnings_calendar``,
``investor_types``, ``indices``, ``margin_interest``, ``margin_alerts``, ``short_ratio``,
``short_sale_reports``, ``options_225``, ``fins_details``, ``dividends``, ``breakdown``,
``futures``, ``options``, ``morning_bars``.

Revision ID: 0004
Revises: 0003

Rendered from the dataset specs (``moo_markets/datasets``) by Alembic's
autogenerate; a test checks the migrated schema equals the spec-derived
metadata on SQLite and PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "breakdown",
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column(
            "long_sell_va",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants LongSellVa",
        ),
        sa.Column(
            "shrt_no_mrgn_va",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants ShrtNoMrgnVa",
        ),
        sa.Column(
            "mrgn_sell_new_va",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants MrgnSellNewVa",
        ),
        sa.Column(
            "mrgn_sell_close_va",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants MrgnSellCloseVa",
        ),
        sa.Column(
            "long_buy_va",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants LongBuyVa",
        ),
        sa.Column(
            "mrgn_buy_new_va",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants MrgnBuyNewVa",
        ),
        sa.Column(
            "mrgn_buy_close_va",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants MrgnBuyCloseVa",
        ),
        sa.Column("long_sell_vo", sa.BigInteger(), nullable=True, comment="J-Quants LongSellVo"),
        sa.Column(
            "shrt_no_mrgn_vo", sa.BigInteger(), nullable=True, comment="J-Quants ShrtNoMrgnVo"
        ),
        sa.Column(
            "mrgn_sell_new_vo", sa.BigInteger(), nullable=True, comment="J-Quants MrgnSellNewVo"
        ),
        sa.Column(
            "mrgn_sell_close_vo", sa.BigInteger(), nullable=True, comment="J-Quants MrgnSellCloseVo"
        ),
        sa.Column("long_buy_vo", sa.BigInteger(), nullable=True, comment="J-Quants LongBuyVo"),
        sa.Column(
            "mrgn_buy_new_vo", sa.BigInteger(), nullable=True, comment="J-Quants MrgnBuyNewVo"
        ),
        sa.Column(
            "mrgn_buy_close_vo", sa.BigInteger(), nullable=True, comment="J-Quants MrgnBuyCloseVo"
        ),
        sa.PrimaryKeyConstraint("date", "code"),
        comment="J-Quants /markets/breakdown",
    )
    op.create_table(
        "dividends",
        sa.Column("pub_date", sa.Date(), nullable=False, comment="J-Quants PubDate"),
        sa.Column("pub_time", sa.Time(), nullable=True, comment="J-Quants PubTime"),
        sa.Column("code", sa.String(length=16), nullable=True, comment="J-Quants Code"),
        sa.Column("ref_no", sa.Text(), nullable=False, comment="J-Quants RefNo"),
        sa.Column("stat_code", sa.Text(), nullable=True, comment="J-Quants StatCode"),
        sa.Column("board_date", sa.Date(), nullable=True, comment="J-Quants BoardDate"),
        sa.Column("if_code", sa.Text(), nullable=True, comment="J-Quants IFCode"),
        sa.Column("fr_code", sa.Text(), nullable=True, comment="J-Quants FRCode"),
        sa.Column("if_term", sa.Text(), nullable=True, comment="J-Quants IFTerm"),
        sa.Column(
            "div_rate", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants DivRate"
        ),
        sa.Column("rec_date", sa.Date(), nullable=True, comment="J-Quants RecDate"),
        sa.Column("ex_date", sa.Date(), nullable=True, comment="J-Quants ExDate"),
        sa.Column("act_rec_date", sa.Date(), nullable=True, comment="J-Quants ActRecDate"),
        sa.Column("pay_date", sa.Date(), nullable=True, comment="J-Quants PayDate"),
        sa.Column("ca_ref_no", sa.Text(), nullable=True, comment="J-Quants CARefNo"),
        sa.Column(
            "dist_amt", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants DistAmt"
        ),
        sa.Column(
            "ret_earn", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants RetEarn"
        ),
        sa.Column(
            "deem_div", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants DeemDiv"
        ),
        sa.Column(
            "deem_cap_gains",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants DeemCapGains",
        ),
        sa.Column(
            "net_asset_dec_ratio",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants NetAssetDecRatio",
        ),
        sa.Column("comm_spec_code", sa.Text(), nullable=True, comment="J-Quants CommSpecCode"),
        sa.Column(
            "comm_div_rate",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants CommDivRate",
        ),
        sa.Column(
            "spec_div_rate",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants SpecDivRate",
        ),
        sa.PrimaryKeyConstraint("pub_date", "ref_no"),
        comment="J-Quants /fins/dividend",
    )
    op.create_table(
        "earnings_calendar",
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("company_name", sa.Text(), nullable=True, comment="J-Quants CoName"),
        sa.Column("fiscal_year", sa.Text(), nullable=True, comment="J-Quants FY"),
        sa.Column("sector_name", sa.Text(), nullable=True, comment="J-Quants SectorNm"),
        sa.Column("fiscal_quarter", sa.Text(), nullable=True, comment="J-Quants FQ"),
        sa.Column("market", sa.Text(), nullable=True, comment="J-Quants Section"),
        sa.PrimaryKeyConstraint("date", "code"),
        comment="J-Quants /equities/earnings-calendar",
    )
    op.create_table(
        "earnings_dates",
        sa.Column("pub_date", sa.Date(), nullable=False, comment="J-Quants PubDate"),
        sa.Column("scheduled_date", sa.Date(), nullable=True, comment="J-Quants SchDate"),
        sa.Column("fiscal_quarter", sa.Text(), nullable=False, comment="J-Quants FQName"),
        sa.Column("fiscal_year_end", sa.Text(), nullable=False, comment="J-Quants FYE"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("company_name", sa.Text(), nullable=True, comment="J-Quants CoName"),
        sa.Column("company_name_en", sa.Text(), nullable=True, comment="J-Quants CoNameEn"),
        sa.PrimaryKeyConstraint("pub_date", "fiscal_quarter", "fiscal_year_end", "code"),
        comment="J-Quants /fins/earnings-date",
    )
    op.create_table(
        "fins_details",
        sa.Column("disc_date", sa.Date(), nullable=False, comment="J-Quants DiscDate"),
        sa.Column("disc_time", sa.Time(), nullable=True, comment="J-Quants DiscTime"),
        sa.Column("code", sa.String(length=16), nullable=True, comment="J-Quants Code"),
        sa.Column("disc_no", sa.String(length=16), nullable=False, comment="J-Quants DiscNo"),
        sa.Column("doc_type", sa.Text(), nullable=True, comment="J-Quants DocType"),
        sa.Column("statements", sa.JSON(), nullable=True, comment="J-Quants FS"),
        sa.PrimaryKeyConstraint("disc_date", "disc_no"),
        comment="J-Quants /fins/details",
    )
    op.create_table(
        "fins_summary",
        sa.Column("disc_date", sa.Date(), nullable=False, comment="J-Quants DiscDate"),
        sa.Column("disc_time", sa.Time(), nullable=True, comment="J-Quants DiscTime"),
        sa.Column("code", sa.String(length=16), nullable=True, comment="J-Quants Code"),
        sa.Column("disc_no", sa.String(length=16), nullable=False, comment="J-Quants DiscNo"),
        sa.Column("doc_type", sa.Text(), nullable=True, comment="J-Quants DocType"),
        sa.Column("cur_per_type", sa.Text(), nullable=True, comment="J-Quants CurPerType"),
        sa.Column("cur_per_st", sa.Date(), nullable=True, comment="J-Quants CurPerSt"),
        sa.Column("cur_per_en", sa.Date(), nullable=True, comment="J-Quants CurPerEn"),
        sa.Column("cur_fy_st", sa.Date(), nullable=True, comment="J-Quants CurFYSt"),
        sa.Column("cur_fy_en", sa.Date(), nullable=True, comment="J-Quants CurFYEn"),
        sa.Column("nxt_fy_st", sa.Date(), nullable=True, comment="J-Quants NxtFYSt"),
        sa.Column("nxt_fy_en", sa.Date(), nullable=True, comment="J-Quants NxtFYEn"),
        sa.Column(
            "sales", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants Sales"
        ),
        sa.Column("op", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants OP"),
        sa.Column("od_p", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants OdP"),
        sa.Column("np", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NP"),
        sa.Column("eps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EPS"),
        sa.Column(
            "deps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants DEPS"
        ),
        sa.Column("ta", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants TA"),
        sa.Column("eq", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants Eq"),
        sa.Column(
            "eq_ar", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants EqAR"
        ),
        sa.Column("bps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants BPS"),
        sa.Column("cfo", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants CFO"),
        sa.Column("cfi", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants CFI"),
        sa.Column("cff", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants CFF"),
        sa.Column(
            "cash_eq", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants CashEq"
        ),
        sa.Column(
            "div1_q", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Div1Q"
        ),
        sa.Column(
            "div2_q", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Div2Q"
        ),
        sa.Column(
            "div3_q", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Div3Q"
        ),
        sa.Column(
            "div_fy", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants DivFY"
        ),
        sa.Column(
            "div_ann", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants DivAnn"
        ),
        sa.Column(
            "div_unit", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants DivUnit"
        ),
        sa.Column(
            "div_total_ann",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants DivTotalAnn",
        ),
        sa.Column(
            "payout_ratio_ann",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants PayoutRatioAnn",
        ),
        sa.Column(
            "f_div1_q", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants FDiv1Q"
        ),
        sa.Column(
            "f_div2_q", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants FDiv2Q"
        ),
        sa.Column(
            "f_div3_q", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants FDiv3Q"
        ),
        sa.Column(
            "f_div_fy", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants FDivFY"
        ),
        sa.Column(
            "f_div_ann",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants FDivAnn",
        ),
        sa.Column(
            "f_div_unit",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants FDivUnit",
        ),
        sa.Column(
            "f_div_total_ann",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants FDivTotalAnn",
        ),
        sa.Column(
            "f_payout_ratio_ann",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants FPayoutRatioAnn",
        ),
        sa.Column(
            "nx_f_div1_q",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFDiv1Q",
        ),
        sa.Column(
            "nx_f_div2_q",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFDiv2Q",
        ),
        sa.Column(
            "nx_f_div3_q",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFDiv3Q",
        ),
        sa.Column(
            "nx_f_div_fy",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFDivFY",
        ),
        sa.Column(
            "nx_f_div_ann",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFDivAnn",
        ),
        sa.Column(
            "nx_f_div_unit",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFDivUnit",
        ),
        sa.Column(
            "nx_f_payout_ratio_ann",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants NxFPayoutRatioAnn",
        ),
        sa.Column(
            "f_sales2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants FSales2Q",
        ),
        sa.Column(
            "fop2_q", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FOP2Q"
        ),
        sa.Column(
            "f_od_p2_q", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FOdP2Q"
        ),
        sa.Column(
            "fnp2_q", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FNP2Q"
        ),
        sa.Column(
            "feps2_q", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants FEPS2Q"
        ),
        sa.Column(
            "nx_f_sales2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFSales2Q",
        ),
        sa.Column(
            "nx_fop2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFOP2Q",
        ),
        sa.Column(
            "nx_f_od_p2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFOdP2Q",
        ),
        sa.Column(
            "nx_f_np2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFNp2Q",
        ),
        sa.Column(
            "nx_feps2_q",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFEPS2Q",
        ),
        sa.Column(
            "f_sales", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FSales"
        ),
        sa.Column("fop", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FOP"),
        sa.Column(
            "f_od_p", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FOdP"
        ),
        sa.Column("fnp", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FNP"),
        sa.Column(
            "feps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants FEPS"
        ),
        sa.Column(
            "nx_f_sales",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFSales",
        ),
        sa.Column(
            "nx_fop", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NxFOP"
        ),
        sa.Column(
            "nx_f_od_p", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NxFOdP"
        ),
        sa.Column(
            "nx_f_np", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NxFNp"
        ),
        sa.Column(
            "nx_feps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants NxFEPS"
        ),
        sa.Column("mat_chg_sub", sa.Boolean(), nullable=True, comment="J-Quants MatChgSub"),
        sa.Column("sig_chg_in_c", sa.Boolean(), nullable=True, comment="J-Quants SigChgInC"),
        sa.Column("chg_by_as_rev", sa.Boolean(), nullable=True, comment="J-Quants ChgByASRev"),
        sa.Column("chg_no_as_rev", sa.Boolean(), nullable=True, comment="J-Quants ChgNoASRev"),
        sa.Column("chg_ac_est", sa.Boolean(), nullable=True, comment="J-Quants ChgAcEst"),
        sa.Column("retro_rst", sa.Boolean(), nullable=True, comment="J-Quants RetroRst"),
        sa.Column("sh_out_fy", sa.BigInteger(), nullable=True, comment="J-Quants ShOutFY"),
        sa.Column("tr_sh_fy", sa.BigInteger(), nullable=True, comment="J-Quants TrShFY"),
        sa.Column("avg_sh", sa.BigInteger(), nullable=True, comment="J-Quants AvgSh"),
        sa.Column(
            "nc_sales", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NCSales"
        ),
        sa.Column(
            "ncop", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NCOP"
        ),
        sa.Column(
            "nc_od_p", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NCOdP"
        ),
        sa.Column(
            "ncnp", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NCNP"
        ),
        sa.Column(
            "nceps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants NCEPS"
        ),
        sa.Column(
            "ncta", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NCTA"
        ),
        sa.Column(
            "nc_eq", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NCEq"
        ),
        sa.Column(
            "nc_eq_ar", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants NCEqAR"
        ),
        sa.Column(
            "ncbps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants NCBPS"
        ),
        sa.Column(
            "fnc_sales2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants FNCSales2Q",
        ),
        sa.Column(
            "fncop2_q", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FNCOP2Q"
        ),
        sa.Column(
            "fnc_od_p2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants FNCOdP2Q",
        ),
        sa.Column(
            "fncnp2_q", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FNCNP2Q"
        ),
        sa.Column(
            "fnceps2_q",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants FNCEPS2Q",
        ),
        sa.Column(
            "nx_fnc_sales2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFNCSales2Q",
        ),
        sa.Column(
            "nx_fncop2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFNCOP2Q",
        ),
        sa.Column(
            "nx_fnc_od_p2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFNCOdP2Q",
        ),
        sa.Column(
            "nx_fncnp2_q",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFNCNP2Q",
        ),
        sa.Column(
            "nx_fnceps2_q",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFNCEPS2Q",
        ),
        sa.Column(
            "fnc_sales",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants FNCSales",
        ),
        sa.Column(
            "fncop", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FNCOP"
        ),
        sa.Column(
            "fnc_od_p", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FNCOdP"
        ),
        sa.Column(
            "fncnp", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FNCNP"
        ),
        sa.Column(
            "fnceps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants FNCEPS"
        ),
        sa.Column(
            "nx_fnc_sales",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFNCSales",
        ),
        sa.Column(
            "nx_fncop", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NxFNCOP"
        ),
        sa.Column(
            "nx_fnc_od_p",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants NxFNCOdP",
        ),
        sa.Column(
            "nx_fncnp", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NxFNCNP"
        ),
        sa.Column(
            "nx_fnceps",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants NxFNCEPS",
        ),
        sa.Column(
            "sh_eq", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants ShEq"
        ),
        sa.Column(
            "nc_sh_eq", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants NCShEq"
        ),
        sa.Column("roe", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants ROE"),
        sa.Column(
            "ncroe", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants NCROE"
        ),
        sa.PrimaryKeyConstraint("disc_date", "disc_no"),
        comment="J-Quants /fins/summary",
    )
    op.create_table(
        "futures",
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("product_category", sa.Text(), nullable=True, comment="J-Quants ProdCat"),
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("o", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants O"),
        sa.Column("h", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants H"),
        sa.Column("l", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants L"),
        sa.Column("c", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants C"),
        sa.Column("mo", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MO"),
        sa.Column("mh", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MH"),
        sa.Column("ml", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants ML"),
        sa.Column("mc", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MC"),
        sa.Column("eo", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EO"),
        sa.Column("eh", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EH"),
        sa.Column("el", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EL"),
        sa.Column("ec", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EC"),
        sa.Column("ao", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AO"),
        sa.Column("ah", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AH"),
        sa.Column("al", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AL"),
        sa.Column("ac", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AC"),
        sa.Column("vo", sa.BigInteger(), nullable=True, comment="J-Quants Vo"),
        sa.Column("oi", sa.BigInteger(), nullable=True, comment="J-Quants OI"),
        sa.Column("va", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants Va"),
        sa.Column("contract_month", sa.Text(), nullable=True, comment="J-Quants CM"),
        sa.Column("vo_oa", sa.BigInteger(), nullable=True, comment="J-Quants VoOA"),
        sa.Column("em_mrgn_trg_div", sa.Text(), nullable=False, comment="J-Quants EmMrgnTrgDiv"),
        sa.Column("ltd", sa.Date(), nullable=True, comment="J-Quants LTD"),
        sa.Column("sqd", sa.Date(), nullable=True, comment="J-Quants SQD"),
        sa.Column(
            "settle", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Settle"
        ),
        sa.Column("ccm_flag", sa.Text(), nullable=True, comment="J-Quants CCMFlag"),
        sa.PrimaryKeyConstraint("code", "date", "em_mrgn_trg_div"),
        comment="J-Quants /derivatives/bars/daily/futures",
    )
    op.create_table(
        "indices",
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("open", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants O"),
        sa.Column("high", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants H"),
        sa.Column("low", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants L"),
        sa.Column("close", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants C"),
        sa.PrimaryKeyConstraint("date", "code"),
        comment="J-Quants /indices/bars/daily",
    )
    op.create_table(
        "investor_types",
        sa.Column("pub_date", sa.Date(), nullable=False, comment="J-Quants PubDate"),
        sa.Column("start_date", sa.Date(), nullable=False, comment="J-Quants StDate"),
        sa.Column("end_date", sa.Date(), nullable=False, comment="J-Quants EnDate"),
        sa.Column("section", sa.Text(), nullable=False, comment="J-Quants Section"),
        sa.Column(
            "prop_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants PropSell",
        ),
        sa.Column(
            "prop_buy", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants PropBuy"
        ),
        sa.Column(
            "prop_tot", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants PropTot"
        ),
        sa.Column(
            "prop_bal", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants PropBal"
        ),
        sa.Column(
            "brk_sell", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants BrkSell"
        ),
        sa.Column(
            "brk_buy", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants BrkBuy"
        ),
        sa.Column(
            "brk_tot", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants BrkTot"
        ),
        sa.Column(
            "brk_bal", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants BrkBal"
        ),
        sa.Column(
            "tot_sell", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants TotSell"
        ),
        sa.Column(
            "tot_buy", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants TotBuy"
        ),
        sa.Column(
            "tot_tot", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants TotTot"
        ),
        sa.Column(
            "tot_bal", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants TotBal"
        ),
        sa.Column(
            "ind_sell", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants IndSell"
        ),
        sa.Column(
            "ind_buy", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants IndBuy"
        ),
        sa.Column(
            "ind_tot", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants IndTot"
        ),
        sa.Column(
            "ind_bal", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants IndBal"
        ),
        sa.Column(
            "frgn_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants FrgnSell",
        ),
        sa.Column(
            "frgn_buy", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FrgnBuy"
        ),
        sa.Column(
            "frgn_tot", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FrgnTot"
        ),
        sa.Column(
            "frgn_bal", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants FrgnBal"
        ),
        sa.Column(
            "sec_co_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants SecCoSell",
        ),
        sa.Column(
            "sec_co_buy",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants SecCoBuy",
        ),
        sa.Column(
            "sec_co_tot",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants SecCoTot",
        ),
        sa.Column(
            "sec_co_bal",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants SecCoBal",
        ),
        sa.Column(
            "inv_tr_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants InvTrSell",
        ),
        sa.Column(
            "inv_tr_buy",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants InvTrBuy",
        ),
        sa.Column(
            "inv_tr_tot",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants InvTrTot",
        ),
        sa.Column(
            "inv_tr_bal",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants InvTrBal",
        ),
        sa.Column(
            "bus_co_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants BusCoSell",
        ),
        sa.Column(
            "bus_co_buy",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants BusCoBuy",
        ),
        sa.Column(
            "bus_co_tot",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants BusCoTot",
        ),
        sa.Column(
            "bus_co_bal",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants BusCoBal",
        ),
        sa.Column(
            "oth_co_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants OthCoSell",
        ),
        sa.Column(
            "oth_co_buy",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants OthCoBuy",
        ),
        sa.Column(
            "oth_co_tot",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants OthCoTot",
        ),
        sa.Column(
            "oth_co_bal",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants OthCoBal",
        ),
        sa.Column(
            "ins_co_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants InsCoSell",
        ),
        sa.Column(
            "ins_co_buy",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants InsCoBuy",
        ),
        sa.Column(
            "ins_co_tot",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants InsCoTot",
        ),
        sa.Column(
            "ins_co_bal",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants InsCoBal",
        ),
        sa.Column(
            "bank_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants BankSell",
        ),
        sa.Column(
            "bank_buy", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants BankBuy"
        ),
        sa.Column(
            "bank_tot", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants BankTot"
        ),
        sa.Column(
            "bank_bal", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants BankBal"
        ),
        sa.Column(
            "trst_bnk_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants TrstBnkSell",
        ),
        sa.Column(
            "trst_bnk_buy",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants TrstBnkBuy",
        ),
        sa.Column(
            "trst_bnk_tot",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants TrstBnkTot",
        ),
        sa.Column(
            "trst_bnk_bal",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants TrstBnkBal",
        ),
        sa.Column(
            "oth_fin_sell",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants OthFinSell",
        ),
        sa.Column(
            "oth_fin_buy",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants OthFinBuy",
        ),
        sa.Column(
            "oth_fin_tot",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants OthFinTot",
        ),
        sa.Column(
            "oth_fin_bal",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants OthFinBal",
        ),
        sa.PrimaryKeyConstraint("pub_date", "start_date", "end_date", "section"),
        comment="J-Quants /equities/investor-types",
    )
    op.create_table(
        "margin_alerts",
        sa.Column("pub_date", sa.Date(), nullable=False, comment="J-Quants PubDate"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("application_date", sa.Date(), nullable=False, comment="J-Quants AppDate"),
        sa.Column(
            "pub_reason_restricted",
            sa.Boolean(),
            nullable=True,
            comment="J-Quants PubReason.Restricted",
        ),
        sa.Column(
            "pub_reason_daily_publication",
            sa.Boolean(),
            nullable=True,
            comment="J-Quants PubReason.DailyPublication",
        ),
        sa.Column(
            "pub_reason_monitoring",
            sa.Boolean(),
            nullable=True,
            comment="J-Quants PubReason.Monitoring",
        ),
        sa.Column(
            "pub_reason_restricted_by_jsf",
            sa.Boolean(),
            nullable=True,
            comment="J-Quants PubReason.RestrictedByJSF",
        ),
        sa.Column(
            "pub_reason_precaution_by_jsf",
            sa.Boolean(),
            nullable=True,
            comment="J-Quants PubReason.PrecautionByJSF",
        ),
        sa.Column(
            "pub_reason_unclear_or_sec_on_alert",
            sa.Boolean(),
            nullable=True,
            comment="J-Quants PubReason.UnclearOrSecOnAlert",
        ),
        sa.Column("shrt_out", sa.BigInteger(), nullable=True, comment="J-Quants ShrtOut"),
        sa.Column("shrt_out_chg", sa.BigInteger(), nullable=True, comment="J-Quants ShrtOutChg"),
        sa.Column("long_out", sa.BigInteger(), nullable=True, comment="J-Quants LongOut"),
        sa.Column("long_out_chg", sa.BigInteger(), nullable=True, comment="J-Quants LongOutChg"),
        sa.Column(
            "shrt_out_ratio",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants ShrtOutRatio",
        ),
        sa.Column(
            "long_out_ratio",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants LongOutRatio",
        ),
        sa.Column(
            "sl_ratio",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants SLRatio",
        ),
        sa.Column("shrt_neg_out", sa.BigInteger(), nullable=True, comment="J-Quants ShrtNegOut"),
        sa.Column(
            "shrt_neg_out_chg", sa.BigInteger(), nullable=True, comment="J-Quants ShrtNegOutChg"
        ),
        sa.Column("shrt_std_out", sa.BigInteger(), nullable=True, comment="J-Quants ShrtStdOut"),
        sa.Column(
            "shrt_std_out_chg", sa.BigInteger(), nullable=True, comment="J-Quants ShrtStdOutChg"
        ),
        sa.Column("long_neg_out", sa.BigInteger(), nullable=True, comment="J-Quants LongNegOut"),
        sa.Column(
            "long_neg_out_chg", sa.BigInteger(), nullable=True, comment="J-Quants LongNegOutChg"
        ),
        sa.Column("long_std_out", sa.BigInteger(), nullable=True, comment="J-Quants LongStdOut"),
        sa.Column(
            "long_std_out_chg", sa.BigInteger(), nullable=True, comment="J-Quants LongStdOutChg"
        ),
        sa.Column(
            "tse_margin_regulation", sa.Text(), nullable=True, comment="J-Quants TSEMrgnRegCls"
        ),
        sa.PrimaryKeyConstraint("pub_date", "code", "application_date"),
        comment="J-Quants /markets/margin-alert",
    )
    op.create_table(
        "margin_interest",
        sa.Column("pub_date", sa.Date(), nullable=True, comment="J-Quants PubDate"),
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("issue_type", sa.Text(), nullable=True, comment="J-Quants IssType"),
        sa.Column("shrt_vol", sa.BigInteger(), nullable=True, comment="J-Quants ShrtVol"),
        sa.Column("long_vol", sa.BigInteger(), nullable=True, comment="J-Quants LongVol"),
        sa.Column("shrt_neg_vol", sa.BigInteger(), nullable=True, comment="J-Quants ShrtNegVol"),
        sa.Column("long_neg_vol", sa.BigInteger(), nullable=True, comment="J-Quants LongNegVol"),
        sa.Column("shrt_std_vol", sa.BigInteger(), nullable=True, comment="J-Quants ShrtStdVol"),
        sa.Column("long_std_vol", sa.BigInteger(), nullable=True, comment="J-Quants LongStdVol"),
        sa.Column(
            "shrt_val", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants ShrtVal"
        ),
        sa.Column(
            "long_val", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants LongVal"
        ),
        sa.Column(
            "shrt_neg_val",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants ShrtNegVal",
        ),
        sa.Column(
            "long_neg_val",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants LongNegVal",
        ),
        sa.Column(
            "shrt_std_val",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants ShrtStdVal",
        ),
        sa.Column(
            "long_std_val",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants LongStdVal",
        ),
        sa.PrimaryKeyConstraint("date", "code"),
        comment="J-Quants /markets/margin-interest",
    )
    op.create_table(
        "morning_bars",
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("open", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MO"),
        sa.Column("high", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MH"),
        sa.Column("low", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants ML"),
        sa.Column("close", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MC"),
        sa.Column("volume", sa.BigInteger(), nullable=True, comment="J-Quants MVo"),
        sa.Column(
            "turnover_value",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants MVa",
        ),
        sa.PrimaryKeyConstraint("date", "code"),
        comment="J-Quants /equities/bars/daily/am",
    )
    op.create_table(
        "options",
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("product_category", sa.Text(), nullable=True, comment="J-Quants ProdCat"),
        sa.Column("underlying_code", sa.Text(), nullable=True, comment="J-Quants UndSSO"),
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("o", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants O"),
        sa.Column("h", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants H"),
        sa.Column("l", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants L"),
        sa.Column("c", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants C"),
        sa.Column("mo", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MO"),
        sa.Column("mh", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MH"),
        sa.Column("ml", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants ML"),
        sa.Column("mc", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants MC"),
        sa.Column("eo", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EO"),
        sa.Column("eh", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EH"),
        sa.Column("el", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EL"),
        sa.Column("ec", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EC"),
        sa.Column("ao", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AO"),
        sa.Column("ah", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AH"),
        sa.Column("al", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AL"),
        sa.Column("ac", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AC"),
        sa.Column("vo", sa.BigInteger(), nullable=True, comment="J-Quants Vo"),
        sa.Column("oi", sa.BigInteger(), nullable=True, comment="J-Quants OI"),
        sa.Column("va", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants Va"),
        sa.Column("contract_month", sa.Text(), nullable=True, comment="J-Quants CM"),
        sa.Column(
            "strike", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Strike"
        ),
        sa.Column("vo_oa", sa.BigInteger(), nullable=True, comment="J-Quants VoOA"),
        sa.Column("em_mrgn_trg_div", sa.Text(), nullable=False, comment="J-Quants EmMrgnTrgDiv"),
        sa.Column("pc_div", sa.Text(), nullable=True, comment="J-Quants PCDiv"),
        sa.Column("ltd", sa.Date(), nullable=True, comment="J-Quants LTD"),
        sa.Column("sqd", sa.Date(), nullable=True, comment="J-Quants SQD"),
        sa.Column(
            "settle", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Settle"
        ),
        sa.Column(
            "theo", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Theo"
        ),
        sa.Column(
            "base_vol",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants BaseVol",
        ),
        sa.Column(
            "under_px", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants UnderPx"
        ),
        sa.Column("iv", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants IV"),
        sa.Column("ir", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants IR"),
        sa.Column("ccm_flag", sa.Text(), nullable=True, comment="J-Quants CCMFlag"),
        sa.PrimaryKeyConstraint("code", "date", "em_mrgn_trg_div"),
        comment="J-Quants /derivatives/bars/daily/options",
    )
    op.create_table(
        "options_225",
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("o", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants O"),
        sa.Column("h", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants H"),
        sa.Column("l", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants L"),
        sa.Column("c", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants C"),
        sa.Column("eo", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EO"),
        sa.Column("eh", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EH"),
        sa.Column("el", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EL"),
        sa.Column("ec", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EC"),
        sa.Column("ao", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AO"),
        sa.Column("ah", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AH"),
        sa.Column("al", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AL"),
        sa.Column("ac", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants AC"),
        sa.Column("vo", sa.BigInteger(), nullable=True, comment="J-Quants Vo"),
        sa.Column("oi", sa.BigInteger(), nullable=True, comment="J-Quants OI"),
        sa.Column("va", sa.Numeric(precision=24, scale=6), nullable=True, comment="J-Quants Va"),
        sa.Column("contract_month", sa.Text(), nullable=True, comment="J-Quants CM"),
        sa.Column(
            "strike", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Strike"
        ),
        sa.Column("vo_oa", sa.BigInteger(), nullable=True, comment="J-Quants VoOA"),
        sa.Column("em_mrgn_trg_div", sa.Text(), nullable=False, comment="J-Quants EmMrgnTrgDiv"),
        sa.Column("pc_div", sa.Text(), nullable=True, comment="J-Quants PCDiv"),
        sa.Column("ltd", sa.Date(), nullable=True, comment="J-Quants LTD"),
        sa.Column("sqd", sa.Date(), nullable=True, comment="J-Quants SQD"),
        sa.Column(
            "settle", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Settle"
        ),
        sa.Column(
            "theo", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants Theo"
        ),
        sa.Column(
            "base_vol",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants BaseVol",
        ),
        sa.Column(
            "under_px", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants UnderPx"
        ),
        sa.Column("iv", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants IV"),
        sa.Column("ir", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants IR"),
        sa.PrimaryKeyConstraint("date", "code", "em_mrgn_trg_div"),
        comment="J-Quants /derivatives/bars/daily/options/225",
    )
    op.create_table(
        "short_ratio",
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("sector33_code", sa.String(length=16), nullable=False, comment="J-Quants S33"),
        sa.Column(
            "sell_ex_short_value",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants SellExShortVa",
        ),
        sa.Column(
            "short_with_restriction_value",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants ShrtWithResVa",
        ),
        sa.Column(
            "short_no_restriction_value",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants ShrtNoResVa",
        ),
        sa.PrimaryKeyConstraint("date", "sector33_code"),
        comment="J-Quants /markets/short-ratio",
    )
    op.create_table(
        "short_sale_reports",
        sa.Column("disc_date", sa.Date(), nullable=False, comment="J-Quants DiscDate"),
        sa.Column("calc_date", sa.Date(), nullable=False, comment="J-Quants CalcDate"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("short_seller", sa.Text(), nullable=False, comment="J-Quants SSName"),
        sa.Column("short_seller_address", sa.Text(), nullable=True, comment="J-Quants SSAddr"),
        sa.Column("discretionary_investor", sa.Text(), nullable=False, comment="J-Quants DICName"),
        sa.Column(
            "discretionary_investor_address", sa.Text(), nullable=True, comment="J-Quants DICAddr"
        ),
        sa.Column("fund_name", sa.Text(), nullable=False, comment="J-Quants FundName"),
        sa.Column(
            "short_position_ratio",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants ShrtPosToSO",
        ),
        sa.Column(
            "short_position_shares",
            sa.BigInteger(),
            nullable=True,
            comment="J-Quants ShrtPosShares",
        ),
        sa.Column(
            "short_position_units", sa.BigInteger(), nullable=True, comment="J-Quants ShrtPosUnits"
        ),
        sa.Column("previous_report_date", sa.Date(), nullable=True, comment="J-Quants PrevRptDate"),
        sa.Column(
            "previous_report_ratio",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants PrevRptRatio",
        ),
        sa.Column("notes", sa.Text(), nullable=True, comment="J-Quants Notes"),
        sa.PrimaryKeyConstraint(
            "disc_date", "calc_date", "code", "short_seller", "discretionary_investor", "fund_name"
        ),
        comment="J-Quants /markets/short-sale-report",
    )
    op.create_table(
        "topix",
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("open", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants O"),
        sa.Column("high", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants H"),
        sa.Column("low", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants L"),
        sa.Column("close", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants C"),
        sa.PrimaryKeyConstraint("date"),
        comment="J-Quants /indices/bars/daily/topix",
    )
    op.create_table(
        "valuation",
        sa.Column("date", sa.Date(), nullable=False, comment="J-Quants Date"),
        sa.Column("code", sa.String(length=16), nullable=False, comment="J-Quants Code"),
        sa.Column("eps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants EPS"),
        sa.Column(
            "forecast_eps",
            sa.Numeric(precision=20, scale=6),
            nullable=True,
            comment="J-Quants FwdEPS",
        ),
        sa.Column("bps", sa.Numeric(precision=20, scale=6), nullable=True, comment="J-Quants BPS"),
        sa.Column("roe", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants ROE"),
        sa.Column(
            "forecast_roe",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants FwdROE",
        ),
        sa.Column("per", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants PER"),
        sa.Column(
            "forecast_per",
            sa.Numeric(precision=20, scale=10),
            nullable=True,
            comment="J-Quants FwdPER",
        ),
        sa.Column("pbr", sa.Numeric(precision=20, scale=10), nullable=True, comment="J-Quants PBR"),
        sa.Column(
            "market_cap_million_yen",
            sa.Numeric(precision=24, scale=6),
            nullable=True,
            comment="J-Quants MktCap",
        ),
        sa.PrimaryKeyConstraint("date", "code"),
        comment="J-Quants /equities/valuation",
    )


def downgrade() -> None:
    op.drop_table("valuation")
    op.drop_table("topix")
    op.drop_table("short_sale_reports")
    op.drop_table("short_ratio")
    op.drop_table("options_225")
    op.drop_table("options")
    op.drop_table("morning_bars")
    op.drop_table("margin_interest")
    op.drop_table("margin_alerts")
    op.drop_table("investor_types")
    op.drop_table("indices")
    op.drop_table("futures")
    op.drop_table("fins_summary")
    op.drop_table("fins_details")
    op.drop_table("earnings_dates")
    op.drop_table("earnings_calendar")
    op.drop_table("dividends")
    op.drop_table("breakdown")
