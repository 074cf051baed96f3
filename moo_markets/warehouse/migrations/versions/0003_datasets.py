"""Tables of the declared J-Quants datasets (3): ``valuation``, ``fins_summary``, ``topix``.

Revision ID: 0003
Revises: 0002

Rendered from the dataset specs (``moo_markets/datasets``) by Alembic's
autogenerate; a test checks the migrated schema equals the spec-derived
metadata on SQLite and PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
    op.drop_table("fins_summary")
