"""Deterministic, synthetic J-Quants V2 data: calendar, listed-company master and daily bars.

Everything is a pure function of ``seed`` (plus the "today" the data is seen from), so two
``Dataset`` objects with the same seed agree row for row and tests can compare what the
HTTP layer serves against what this module returns.

Design constraints that shape the code:

* No per-issue price paths are stored. A bar for (issue, business day) is computed in O(1)
  from per-issue parameters (a few sinusoids, a drift, a market factor) and a counter-based
  hash for the daily noise, so a whole day (~4,400 issues) and a whole issue history
  (~4,500 days) are both one vectorised numpy evaluation of the same elementwise formulas,
  and give the same numbers either way.
* The universe (listings, delistings, renames, market changes, splits) is generated once by
  a short chronological simulation and stored as small padded per-issue arrays, so "which
  market / name / split factor applies on day d" is a vectorised lookup.
* Adjusted prices are back-adjusted as of ``today``: moving today past a split's ex-date
  changes the adjusted history before it, exactly like J-Quants.

The rows returned are the API's rows: same keys, key order and JSON types.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import numpy as np

from moo_markets.jquants_sim import noise
from moo_markets.jquants_sim.plans import DATA_START, PLANS
from moo_markets.jquants_sim.table import Table

TOKYO_TZ = "Asia/Tokyo"
CALENDAR_START = dt.date(2008, 1, 1)
OUTAGE_DAY = dt.date(2020, 10, 1)
MARKET_REORG_DAY = dt.date(2022, 4, 4)
FINE_TICK_START = dt.date(2014, 7, 22)
ALNUM_CODES_FROM = dt.date(2024, 1, 1)
#: Listings, delistings, splits etc. are generated up to the end of this year.
UNIVERSE_END_YEAR = 2040

# (S33 code, S33 name, S17 code)
SECTOR33: tuple[tuple[str, str, str], ...] = (
    ("0050", "水産・農林業", "1"),
    ("1050", "鉱業", "2"),
    ("2050", "建設業", "3"),
    ("3050", "食料品", "1"),
    ("3100", "繊維製品", "4"),
    ("3150", "パルプ・紙", "4"),
    ("3200", "化学", "4"),
    ("3250", "医薬品", "5"),
    ("3300", "石油・石炭製品", "2"),
    ("3350", "ゴム製品", "6"),
    ("3400", "ガラス・土石製品", "3"),
    ("3450", "鉄鋼", "7"),
    ("3500", "非鉄金属", "7"),
    ("3550", "金属製品", "3"),
    ("3600", "機械", "8"),
    ("3650", "電気機器", "9"),
    ("3700", "輸送用機器", "6"),
    ("3750", "精密機器", "9"),
    ("3800", "その他製品", "10"),
    ("4050", "電気・ガス業", "11"),
    ("5050", "陸運業", "12"),
    ("5100", "海運業", "12"),
    ("5150", "空運業", "12"),
    ("5200", "倉庫・運輸関連業", "12"),
    ("5250", "情報・通信業", "10"),
    ("6050", "卸売業", "13"),
    ("6100", "小売業", "14"),
    ("7050", "銀行業", "15"),
    ("7100", "証券、商品先物取引業", "16"),
    ("7150", "保険業", "16"),
    ("7200", "その他金融業", "16"),
    ("8050", "不動産業", "17"),
    ("9050", "サービス業", "10"),
    ("9999", "その他", "99"),
)
SECTOR17: dict[str, str] = {
    "1": "食品",
    "2": "エネルギー資源",
    "3": "建設・資材",
    "4": "素材・化学",
    "5": "医薬品",
    "6": "自動車・輸送機",
    "7": "鉄鋼・非鉄",
    "8": "機械",
    "9": "電機・精密",
    "10": "情報通信・サービスその他",
    "11": "電力・ガス",
    "12": "運輸・物流",
    "13": "商社・卸売",
    "14": "小売",
    "15": "銀行",
    "16": "金融（除く銀行）",
    "17": "不動産",
    "99": "その他",
}
MARKETS: tuple[tuple[str, str], ...] = (
    ("0101", "東証一部"),
    ("0102", "東証二部"),
    ("0104", "マザーズ"),
    ("0106", "JASDAQ スタンダード"),
    ("0107", "JASDAQ グロース"),
    ("0111", "プライム"),
    ("0112", "スタンダード"),
    ("0113", "グロース"),
)
_MKT = {code: i for i, (code, _) in enumerate(MARKETS)}
SCALE_CATS = (
    "TOPIX Core30",
    "TOPIX Large70",
    "TOPIX Mid400",
    "TOPIX Small 1",
    "TOPIX Small 2",
    "-",
)
_CAT_NONE = 5
_CAT_SMALL2 = 4
MARGINS = (("1", "信用"), ("2", "貸借"), ("3", "その他"))
PROD_CAT_DOMESTIC_STOCK = "011"

MASTER_KEYS = (
    "Date", "Code", "CoName", "CoNameEn", "S17", "S17Nm", "S33", "S33Nm",
    "ScaleCat", "Mkt", "MktNm", "Mrgn", "MrgnNm", "ProdCat",
)  # fmt: skip
BAR_KEYS = (
    "Date", "Code", "O", "H", "L", "C", "UL", "LL", "Vo", "Va",
    "AdjFactor", "AdjO", "AdjH", "AdjL", "AdjC", "AdjVo",
)  # fmt: skip
PREMIUM_BAR_KEYS = (
    "MO", "MH", "ML", "MC", "MUL", "MLL", "MVo", "MVa", "MAdjO", "MAdjH", "MAdjL", "MAdjC", "MAdjVo",
    "AO", "AH", "AL", "AC", "AUL", "ALL", "AVo", "AVa", "AAdjO", "AAdjH", "AAdjL", "AAdjC", "AAdjVo",
)  # fmt: skip
_FLAG_KEYS = frozenset({"UL", "LL", "MUL", "MLL", "AUL", "ALL"})
_NULL_ON_NO_TRADE = frozenset(
    k
    for k in BAR_KEYS + PREMIUM_BAR_KEYS + ("MktCap",)
    if k not in ("Date", "Code", "AdjFactor") and k not in _FLAG_KEYS
)
_ADJ_DECIMALS = 6

# --- per-sector profile: weights at the start / for new listings, preferred code ranges,
# --- and (Japanese, English) name suffixes.
_SECTOR_PROFILE: dict[str, tuple[float, float, tuple[tuple[int, int], ...], tuple[tuple[str, str], ...]]] = {
    "0050": (12, 1, ((1300, 1400),), (("水産", "FISHERIES"), ("種苗", "SEED"), ("ファーム", "FARM"))),
    "1050": (7, 0.3, ((1500, 1700),), (("鉱業", "MINING"), ("石油開発", "PETROLEUM DEVELOPMENT"), ("資源", "RESOURCES"))),
    "2050": (175, 4, ((1700, 2000),), (("建設", "CONSTRUCTION"), ("組", "GUMI"), ("工務店", "KOMUTEN"), ("建工", "KENKO"), ("道路", "ROAD"))),
    "3050": (135, 4, ((2000, 2300), (2800, 2950)), (("食品", "FOODS"), ("製菓", "CONFECTIONERY"), ("製粉", "FLOUR MILLS"), ("フーズ", "FOODS"), ("酒造", "BREWERY"), ("乳業", "DAIRY"))),
    "3100": (70, 1, ((3000, 3600),), (("紡績", "SPINNING"), ("織物", "TEXTILE"), ("繊維", "FIBERS"), ("アパレル", "APPAREL"))),
    "3150": (28, 0.3, ((3700, 3900),), (("製紙", "PAPER"), ("紙業", "PAPER MFG."), ("パルプ", "PULP"))),
    "3200": (215, 4, ((4000, 4500), (4600, 5000)), (("化学", "CHEMICAL"), ("化成", "KASEI"), ("ケミカル", "CHEMICAL"), ("塗料", "PAINT"), ("化工", "KAKO"), ("合成", "GOSEI"))),
    "3250": (60, 6, ((4500, 4600),), (("製薬", "PHARMACEUTICAL"), ("薬品", "YAKUHIN"), ("ファーマ", "PHARMA"), ("バイオ", "BIO"))),
    "3300": (12, 0.2, ((5000, 5100),), (("石油", "OIL"), ("エネルギー", "ENERGY"), ("興産", "KOSAN"))),
    "3350": (20, 0.2, ((5100, 5200),), (("ゴム", "RUBBER"), ("ゴム工業", "RUBBER INDUSTRIES"), ("タイヤ", "TIRE"))),
    "3400": (62, 1, ((5200, 5400),), (("窯業", "CERAMICS"), ("硝子", "GLASS"), ("セメント", "CEMENT"), ("セラミック", "CERAMIC"))),
    "3450": (50, 0.5, ((5400, 5700),), (("製鋼", "STEEL WORKS"), ("製鉄", "STEEL"), ("鋼業", "STEEL"), ("特殊鋼", "SPECIAL STEEL"))),
    "3500": (38, 0.5, ((5700, 5800),), (("金属", "METALS"), ("電線", "CABLE"), ("伸銅", "COPPER"))),
    "3550": (95, 2, ((5800, 6000),), (("金属工業", "METAL INDUSTRIES"), ("製作所", "MFG."), ("工業", "INDUSTRIES"), ("ボルト", "BOLT"))),
    "3600": (240, 6, ((6000, 6500),), (("機械", "MACHINERY"), ("精機", "SEIKI"), ("工機", "KOKI"), ("製作所", "WORKS"), ("重工", "HEAVY INDUSTRIES"), ("マシナリー", "MACHINERY"))),
    "3650": (265, 7, ((6500, 7000),), (("電機", "ELECTRIC"), ("電子", "ELECTRONICS"), ("電工", "DENKO"), ("エレクトロニクス", "ELECTRONICS"), ("電気", "ELECTRIC"), ("通信機", "COMMUNICATION EQUIPMENT"))),
    "3700": (100, 1, ((7200, 7300),), (("自動車", "MOTOR"), ("自動車工業", "MOTOR INDUSTRIES"), ("車体", "AUTO BODY"), ("造船", "SHIPBUILDING"), ("部品", "PARTS"))),
    "3750": (52, 3, ((7700, 7800),), (("光学", "OPTICAL"), ("精密", "PRECISION"), ("計器", "INSTRUMENTS"), ("メディカル", "MEDICAL"), ("時計", "WATCH"))),
    "3800": (110, 4, ((7800, 8000),), (("印刷", "PRINTING"), ("家具", "FURNITURE"), ("楽器", "MUSICAL INSTRUMENTS"), ("産業", "INDUSTRIES"), ("玩具", "TOYS"))),
    "4050": (24, 1, ((9500, 9600),), (("電力", "ELECTRIC POWER"), ("瓦斯", "GAS"), ("ガス", "GAS"), ("エナジー", "ENERGY"))),
    "5050": (64, 1, ((9000, 9100),), (("鉄道", "RAILWAY"), ("運輸", "TRANSPORT"), ("急便", "EXPRESS"), ("バス", "BUS"), ("物流", "LOGISTICS"))),
    "5100": (15, 0.2, ((9100, 9200),), (("汽船", "KISEN"), ("海運", "SHIPPING"), ("マリン", "MARINE"))),
    "5150": (5, 0.2, ((9200, 9300),), (("航空", "AIRLINES"), ("エアー", "AIR"))),
    "5200": (40, 1, ((9300, 9400),), (("倉庫", "WAREHOUSE"), ("運輸倉庫", "TRANSPORT & WAREHOUSE"), ("ロジスティクス", "LOGISTICS"), ("港運", "PORT SERVICE"))),
    "5250": (430, 27, ((9400, 9500), (3600, 3900), (4700, 4850), (3900, 4000)), (("システム", "SYSTEMS"), ("ソフト", "SOFT"), ("ネット", "NET"), ("テクノロジーズ", "TECHNOLOGIES"), ("ソリューションズ", "SOLUTIONS"), ("データ", "DATA"), ("コミュニケーションズ", "COMMUNICATIONS"), ("情報システム", "INFORMATION SYSTEMS"))),
    "6050": (345, 6, ((8000, 8200), (2700, 2800), (3100, 3200), (7400, 7600)), (("商事", "SHOJI"), ("物産", "BUSSAN"), ("産業", "SANGYO"), ("トレーディング", "TRADING"), ("商会", "SHOKAI"))),
    "6100": (370, 9, ((8200, 8300), (2600, 2700), (3000, 3100), (7500, 7700), (9800, 9999)), (("ストア", "STORES"), ("百貨店", "DEPARTMENT STORE"), ("ドラッグ", "DRUG"), ("リテイリング", "RETAILING"), ("マート", "MART"), ("堂", "DO"))),
    "7050": (92, 0.5, ((8300, 8600), (7100, 7200)), (("銀行", "BANK"),)),
    "7100": (45, 1, ((8600, 8700),), (("証券", "SECURITIES"), ("証券ホールディングス", "SECURITIES HOLDINGS"))),
    "7150": (14, 0.5, ((8700, 8800),), (("損害保険", "INSURANCE"), ("生命", "LIFE"), ("保険ホールディングス", "INSURANCE HOLDINGS"))),
    "7200": (42, 2, ((8500, 8600),), (("リース", "LEASE"), ("クレジット", "CREDIT"), ("ファイナンス", "FINANCE"), ("キャピタル", "CAPITAL"))),
    "8050": (135, 9, ((8800, 8950), (3200, 3300)), (("不動産", "REAL ESTATE"), ("地所", "ESTATE"), ("エステート", "ESTATE"), ("リアルティ", "REALTY"), ("住宅", "HOUSING"), ("ホーム", "HOME"))),
    "9050": (430, 27, ((9600, 9800), (2100, 2500), (4300, 4500), (6000, 6200), (7000, 7100)), (("サービス", "SERVICE"), ("コンサルティング", "CONSULTING"), ("リンク", "LINK"), ("パートナーズ", "PARTNERS"), ("メディカルサービス", "MEDICAL SERVICE"), ("キャリア", "CAREER"), ("エンタープライズ", "ENTERPRISE"))),
}  # fmt: skip

_KANJI_STEMS = (
    ("日本", "NIPPON"), ("東洋", "TOYO"), ("大和", "YAMATO"), ("北陸", "HOKURIKU"), ("関西", "KANSAI"),
    ("中央", "CHUO"), ("三協", "SANKYO"), ("太陽", "TAIYO"), ("富士", "FUJI"), ("新日本", "SHIN-NIPPON"),
    ("第一", "DAIICHI"), ("昭和", "SHOWA"), ("共和", "KYOWA"), ("朝日", "ASAHI"), ("東邦", "TOHO"),
    ("日東", "NITTO"), ("北海道", "HOKKAIDO"), ("東北", "TOHOKU"), ("名古屋", "NAGOYA"), ("九州", "KYUSHU"),
    ("四国", "SHIKOKU"), ("山陰", "SANIN"), ("大阪", "OSAKA"), ("京都", "KYOTO"), ("横浜", "YOKOHAMA"),
    ("神戸", "KOBE"), ("千代田", "CHIYODA"), ("丸山", "MARUYAMA"), ("高砂", "TAKASAGO"), ("明星", "MYOJO"),
    ("大同", "DAIDO"), ("東亜", "TOA"), ("日進", "NISSHIN"), ("三和", "SANWA"), ("旭", "ASAHI"),
    ("栄", "SAKAE"), ("山田", "YAMADA"), ("松本", "MATSUMOTO"), ("岡本", "OKAMOTO"), ("西部", "SEIBU"),
    ("南海", "NANKAI"), ("東海", "TOKAI"), ("信越", "SHINETSU"), ("協和", "KYOWA"), ("北越", "HOKUETSU"),
    ("常磐", "JOBAN"), ("瀬戸内", "SETOUCHI"), ("越後", "ECHIGO"), ("琉球", "RYUKYU"), ("房総", "BOSO"),
    ("武蔵野", "MUSASHINO"), ("湘南", "SHONAN"), ("飛騨", "HIDA"), ("筑波", "TSUKUBA"), ("若松", "WAKAMATSU"),
    ("丸和", "MARUWA"), ("双葉", "FUTABA"), ("光和", "KOWA"), ("久保田", "KUBOTA"), ("森田", "MORITA"),
)  # fmt: skip
_KATAKANA_STEMS = (
    ("アサヒ", "ASAHI"), ("サンワ", "SANWA"), ("ミツワ", "MITSUWA"), ("ダイト", "DAITO"), ("ニッコー", "NIKKO"),
    ("トーヨー", "TOYO"), ("ヤマト", "YAMATO"), ("フジ", "FUJI"), ("ミナト", "MINATO"), ("ヒカリ", "HIKARI"),
    ("アオイ", "AOI"), ("カネコ", "KANEKO"), ("マルサン", "MARUSAN"), ("ヤマサ", "YAMASA"), ("タカラ", "TAKARA"),
    ("ミヤコ", "MIYAKO"), ("サクラ", "SAKURA"), ("ツバサ", "TSUBASA"), ("ホクト", "HOKUTO"), ("ユニオン", "UNION"),
    ("グローバル", "GLOBAL"), ("ネクスト", "NEXT"), ("アクティブ", "ACTIVE"), ("エース", "ACE"), ("ライフ", "LIFE"),
    ("スマート", "SMART"), ("クレスト", "CREST"), ("アルファ", "ALPHA"), ("オメガ", "OMEGA"), ("ノヴァ", "NOVA"),
    ("ゼニス", "ZENITH"), ("リンクス", "LINKS"), ("ビジョン", "VISION"), ("フロンティア", "FRONTIER"), ("エコー", "ECHO"),
    ("ブライト", "BRIGHT"), ("シグマ", "SIGMA"), ("オリオン", "ORION"), ("ミライ", "MIRAI"), ("アイル", "AIRU"),
    ("テンダ", "TENDA"), ("ベルテック", "BELTEC"), ("カイゼン", "KAIZEN"), ("ハーモニー", "HARMONY"), ("ソレイユ", "SOLEIL"),
    ("コスモ", "COSMO"), ("ステラ", "STELLA"), ("ルミナ", "LUMINA"), ("アーク", "ARC"), ("グラン", "GRAN"),
)  # fmt: skip
_MIDDLES = (
    ("テクノ", "TECHNO"), ("総合", "SOGO"), ("ユニ", "UNI"), ("メディア", "MEDIA"), ("インター", "INTER"),
    ("精密", "SEIMITSU"), ("ライン", "LINE"), ("ワークス", "WORKS"),
)  # fmt: skip
_EN_FORMS = ("CO.,LTD.", "CORPORATION", "INC.", "Co.,Ltd.")

# Approximate IPO / delisting / split counts per year (TSE-like orders of magnitude).
_LISTINGS_PER_YEAR = {
    2008: 55, 2009: 25, 2010: 30, 2011: 40, 2012: 50, 2013: 60, 2014: 80, 2015: 95, 2016: 85,
    2017: 95, 2018: 95, 2019: 90, 2020: 95, 2021: 130, 2022: 95, 2023: 100, 2024: 90, 2025: 85,
}  # fmt: skip
_DELISTINGS_PER_YEAR = {
    2008: 80, 2009: 110, 2010: 90, 2011: 70, 2012: 60, 2013: 55, 2014: 55, 2015: 55, 2016: 55,
    2017: 55, 2018: 55, 2019: 55, 2020: 55, 2021: 55, 2022: 55, 2023: 80, 2024: 95, 2025: 110,
}  # fmt: skip
_INITIAL_ISSUES = 4250
_INITIAL_MARKETS = (("0101", 0.38), ("0102", 0.12), ("0104", 0.05), ("0106", 0.41), ("0107", 0.04))
# Pinned large issues so examples like ``code=7203`` always resolve (names are synthetic).
_PINNED = (
    ("72030", "3700"),
    ("67580", "3650"),
    ("99840", "5250"),
    ("83060", "7050"),
    ("80580", "6050"),
)

_BIG = np.iinfo(np.int64).max // 4
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_T_MUL = np.uint64(0xC2B2AE3D27D4EB4F)
_K_MUL = np.uint64(0x165667B19E3779F9)


def tokyo_today() -> dt.date:
    """Today's date in Tokyo, the exchange's clock (J-Quants dates are JST)."""
    return dt.datetime.now(ZoneInfo(TOKYO_TZ)).date()


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic is intended)."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


class _LRU:
    """A tiny thread-safe LRU for per-day row lists (they are a few MB each, so few are kept)."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class _Calendar:
    """TSE trading calendar from 2008-01-01 through Dec 31 of ``last_year``.

    Weekends, Japanese national holidays (``holidays.Japan``) and the exchange's
    Dec 31 - Jan 3 year-end break are HolDiv "0"; every other day is "1".
    """

    def __init__(self, last_year: int) -> None:
        self.last_year = last_year
        self.base = CALENDAR_START.toordinal()
        end = dt.date(last_year, 12, 31).toordinal()
        national = holidays.Japan(years=range(CALENDAR_START.year, last_year + 1))
        days = [dt.date.fromordinal(o) for o in range(self.base, end + 1)]
        open_ = np.array(
            [
                not (
                    d.weekday() >= 5
                    or d in national
                    or (d.month == 12 and d.day == 31)
                    or (d.month == 1 and d.day <= 3)
                )
                for d in days
            ],
            dtype=bool,
        )
        self.iso = [d.isoformat() for d in days]
        self.is_open = open_
        self.ords = np.arange(self.base, end + 1, dtype=np.int64)
        self.bd_ords = self.ords[open_]
        self.bd_index = np.full(len(days), -1, dtype=np.int64)
        self.bd_index[open_] = np.arange(int(open_.sum()), dtype=np.int64)
        self.end = end

    def contains(self, ordinal: int) -> bool:
        return self.base <= ordinal <= self.end

    def is_business_day(self, ordinal: int) -> bool:
        return self.contains(ordinal) and bool(self.is_open[ordinal - self.base])

    def next_business_day(self, ordinal: int) -> int | None:
        """The first business day on or after ``ordinal`` (None past the calendar's end)."""
        i = int(np.searchsorted(self.bd_ords, ordinal, side="left"))
        return int(self.bd_ords[i]) if i < len(self.bd_ords) else None

    def business_days(self, first: int, last: int) -> np.ndarray:
        lo = int(np.searchsorted(self.bd_ords, first, side="left"))
        hi = int(np.searchsorted(self.bd_ords, last, side="right"))
        return self.bd_ords[lo:hi]

    def index_of(self, ords: np.ndarray) -> np.ndarray:
        return self.bd_index[ords - self.base]

    def iso_of(self, ordinal: int) -> str:
        return self.iso[ordinal - self.base]


class _Universe:
    """Every issue ever listed, with its history, generated chronologically from ``seed``.

    Attributes are parallel numpy arrays over issue ids (0..n-1) plus padded history
    tables: ``mk_ord/mk_code`` (market changes), ``nm_ord/nm_id`` (names) and
    ``sp_ord/sp_f`` (split ex-dates and AdjFactors, padding ex-date is _BIG).
    """

    def __init__(self, seed: int, cal: _Calendar) -> None:
        # numpy for the few batch draws, the stdlib RNG for the many scalar ones (much faster).
        self._np_rng = np.random.default_rng([seed, 0x5EED])
        self._rng = random.Random(seed * 7919 + 17)
        self._cal = cal
        self.codes: list[str] = []
        self.sector: list[int] = []
        self.margin: list[int] = []
        self.size: list[float] = []
        self.list_ord: list[int] = []
        self.delist_ord: list[int] = []
        self.markets: list[list[tuple[int, int]]] = []
        self.name_hist: list[list[tuple[int, int]]] = []
        self.splits: list[list[tuple[int, float]]] = []
        self.names: list[tuple[str, str]] = []
        self._name_seen: set[str] = set()
        self._used_codes: set[str] = {c for c, _ in _PINNED}
        self._alnum_next = 130
        self._alnum_letter = 0
        self._listed: list[int] = []
        self._listed_pos: dict[int, int] = {}
        self._pinned: set[int] = set()
        self._generate()
        self._freeze()

    # -- generation -------------------------------------------------------------------
    def _generate(self) -> None:
        rng, np_rng = self._rng, self._np_rng
        start = DATA_START.toordinal()
        self._sector_index = {s: i for i, (s, _, _) in enumerate(SECTOR33)}
        self._sectors = [self._sector_index[s] for s in _SECTOR_PROFILE]
        self._w_init = [_SECTOR_PROFILE[s][0] for s in _SECTOR_PROFILE]
        self._w_new = [_SECTOR_PROFILE[s][1] for s in _SECTOR_PROFILE]

        for k, (code, s33) in enumerate(_PINNED):
            i = self._new_issue(code, self._sector_index[s33], _MKT["0101"], start, size=60.0 - k)
            self._pinned.add(i)
        mkt_codes = [_MKT[m] for m, _ in _INITIAL_MARKETS]
        mkt_w = [w for _, w in _INITIAL_MARKETS]
        for _ in range(_INITIAL_ISSUES - len(_PINNED)):
            sec = rng.choices(self._sectors, self._w_init)[0]
            mkt = rng.choices(mkt_codes, mkt_w)[0]
            self._new_issue(None, sec, mkt, start, size=self._draw_size(mkt))

        events: list[tuple[int, int, int, str]] = []  # (ordinal, priority, seq, kind)
        seq = 0

        def add(kind: str, count: int, year: int, priority: int) -> None:
            nonlocal seq
            first = max(dt.date(year, 1, 1).toordinal(), start + 1)
            days = self._cal.business_days(first, dt.date(year, 12, 31).toordinal())
            days = days[days != OUTAGE_DAY.toordinal()]
            for o in np_rng.choice(days, size=count):
                events.append((int(o), priority, seq, kind))
                seq += 1

        for year in range(DATA_START.year, UNIVERSE_END_YEAR + 1):
            frac = 1.0 if year > DATA_START.year else 0.65
            add("list", np_rng.poisson(_LISTINGS_PER_YEAR.get(year, 85) * frac), year, 1)
            add("delist", np_rng.poisson(_DELISTINGS_PER_YEAR.get(year, 70) * frac), year, 0)
            add("rename", np_rng.poisson(40 * frac), year, 2)
            add("split", np_rng.poisson(72 * frac), year, 3)
            add(
                "reverse_split", np_rng.poisson((12 if 2014 <= year <= 2018 else 3) * frac), year, 3
            )
            if year < MARKET_REORG_DAY.year:
                add("promote", np_rng.poisson(45 * frac), year, 2)
                add("demote", np_rng.poisson(6 * frac), year, 2)
            else:
                add("promote", np_rng.poisson(30), year, 2)
                add("demote", np_rng.poisson(35 if year <= 2025 else 15), year, 2)
        events.append((MARKET_REORG_DAY.toordinal(), -1, -1, "reorg"))
        events.sort()
        reorg = MARKET_REORG_DAY.toordinal()
        for ordinal, _, _, kind in events:
            post = ordinal >= reorg
            if kind == "reorg":
                self._reorganise(ordinal)
            elif kind == "list":
                self._list_new(ordinal, post)
            elif kind == "delist":
                self._delist(ordinal)
            elif kind == "rename":
                self._rename(ordinal)
            elif kind in ("split", "reverse_split"):
                self._split(ordinal, reverse=kind == "reverse_split")
            elif kind == "promote":
                src = ("0112", "0113") if post else ("0102", "0104", "0106", "0107")
                self._change_market(ordinal, src, "0111" if post else "0101")
            elif kind == "demote":
                if post:
                    self._change_market(ordinal, ("0111", "0113"), "0112")
                else:
                    self._change_market(ordinal, ("0101",), "0102")

    def _draw_size(self, mkt: int) -> float:
        bonus = {"0101": 1.2, "0111": 1.2, "0102": 0.0, "0112": 0.0}.get(MARKETS[mkt][0], -0.4)
        return self._rng.gauss(0.0, 1.0) + bonus

    def _new_issue(
        self, code: str | None, sector: int, mkt: int, list_ord: int, size: float
    ) -> int:
        i = len(self.codes)
        if code is None:
            code = self._new_code(sector, list_ord)
        self._used_codes.add(code)
        self.codes.append(code)
        self.sector.append(sector)
        self.size.append(size)
        self.list_ord.append(list_ord)
        self.delist_ord.append(int(_BIG))
        self.markets.append([(list_ord, mkt)])
        self.name_hist.append([(list_ord, self._new_name(sector))])
        self.splits.append([])
        u = self._rng.random()
        if MARKETS[mkt][0] in ("0101", "0111"):
            margin = 1 if u < 0.7 or i in self._pinned or size > 50 else (0 if u < 0.98 else 2)
        else:
            margin = 1 if u < 0.25 else (0 if u < 0.95 else 2)
        self.margin.append(margin)
        self._listed_pos[i] = len(self._listed)
        self._listed.append(i)
        return i

    def _new_code(self, sector: int, list_ord: int) -> str:
        rng = self._rng
        if list_ord >= ALNUM_CODES_FROM.toordinal() and rng.random() < 0.9:
            while True:
                letters = "ACDFGHJKLMNPRSTUWXY"
                code = f"{self._alnum_next}{letters[self._alnum_letter % len(letters)]}0"
                self._alnum_next += 1 + rng.randrange(3)
                if self._alnum_next > 999:
                    self._alnum_next = 130
                    self._alnum_letter += 1
                if code not in self._used_codes:
                    return code
        ranges = _SECTOR_PROFILE[SECTOR33[sector][0]][2]
        for attempt in range(200):
            if attempt < 60 and rng.random() < 0.8:
                lo, hi = rng.choice(ranges)
            else:
                lo, hi = 1300, 10000
            code = f"{rng.randrange(lo, hi):04d}0"
            if code not in self._used_codes:
                return code
        for n in range(1300, 10000):  # practically unreachable: the space is large
            if f"{n:04d}0" not in self._used_codes:
                return f"{n:04d}0"
        raise RuntimeError("numeric code space exhausted")

    def _new_name(self, sector: int, holdings_of: int | None = None) -> int:
        """A unique (Japanese, English) name; ``holdings_of`` = name id to turn into a holding co."""
        rng = self._rng
        s33 = SECTOR33[sector][0]
        for attempt in range(500):
            if holdings_of is not None and attempt == 0:
                ja, en = self.names[holdings_of]
                base_ja = ja
                for suffix, _ in _SECTOR_PROFILE[s33][3]:
                    if ja.endswith(suffix) and len(ja) > len(suffix):
                        base_ja = ja[: -len(suffix)]
                        break
                base_en = en.split(" ")[0] if s33 != "7050" else en.split(" ")[1]
                cand = (f"{base_ja}ホールディングス", f"{base_en} HOLDINGS,INC.")
            elif s33 == "7050":
                stem = rng.choice(_KANJI_STEMS)
                extra = ("", "") if attempt < 30 else rng.choice(_KANJI_STEMS)
                en_stem = f"{stem[1]} {extra[1]}".strip()
                cand = (f"{stem[0]}{extra[0]}銀行", f"THE {en_stem} BANK,LTD.")
            else:
                stems = _KATAKANA_STEMS if rng.random() < 0.45 else _KANJI_STEMS
                stem = rng.choice(stems)
                mid = rng.choice(_MIDDLES) if rng.random() < 0.25 else ("", "")
                suf = rng.choice(_SECTOR_PROFILE[s33][3])
                form = rng.choice(_EN_FORMS)
                en_parts = [p for p in (stem[1], mid[1], suf[1]) if p]
                cand = (f"{stem[0]}{mid[0]}{suf[0]}", f"{' '.join(en_parts)} {form}")
            if cand[0] not in self._name_seen:
                self._name_seen.add(cand[0])
                self.names.append(cand)
                return len(self.names) - 1
        raise RuntimeError("could not generate a unique company name")

    def _pick_listed(self, accept: Callable[[int], bool], tries: int = 80) -> int | None:
        for _ in range(tries):
            i = self._listed[self._rng.randrange(len(self._listed))]
            if accept(i):
                return i
        return None

    def _current_market(self, i: int) -> str:
        return MARKETS[self.markets[i][-1][1]][0]

    def _list_new(self, ordinal: int, post_reorg: bool) -> None:
        rng = self._rng
        sec = rng.choices(self._sectors, self._w_new)[0]
        if post_reorg:
            choices, weights = ("0113", "0112", "0111"), (0.75, 0.18, 0.07)
        else:
            choices, weights = ("0104", "0106", "0101", "0102"), (0.55, 0.2, 0.13, 0.12)
        mkt = _MKT[rng.choices(choices, weights)[0]]
        self._new_issue(None, sec, mkt, ordinal, size=self._draw_size(mkt) - 0.5)

    def _delist(self, ordinal: int) -> None:
        candidates = [
            self._pick_listed(lambda i: i not in self._pinned and self.list_ord[i] < ordinal - 180)
            for _ in range(3)
        ]
        candidates = [c for c in candidates if c is not None]
        if not candidates:
            return
        i = min(candidates, key=lambda c: self.size[c])  # smaller issues leave more often
        self.delist_ord[i] = ordinal
        pos = self._listed_pos.pop(i)
        last = self._listed.pop()
        if last != i:
            self._listed[pos] = last
            self._listed_pos[last] = pos

    def _rename(self, ordinal: int) -> None:
        i = self._pick_listed(
            lambda i: i not in self._pinned and self.name_hist[i][-1][0] < ordinal - 365
        )
        if i is None:
            return
        current = self.name_hist[i][-1][1]
        holdings = self._rng.random() < 0.4 and "ホールディングス" not in self.names[current][0]
        self.name_hist[i].append(
            (ordinal, self._new_name(self.sector[i], current if holdings else None))
        )

    def _split(self, ordinal: int, reverse: bool) -> None:
        def ok(i: int) -> bool:
            return self.list_ord[i] < ordinal - 90 and all(
                abs(o - ordinal) > 365 for o, _ in self.splits[i]
            )

        i = self._pick_listed(ok)
        if i is None:
            return
        if reverse:
            factor = 10.0 if self._rng.random() < 0.8 else 5.0
        else:
            factor = self._rng.choice(
                (0.5, 0.5, 0.5, 0.2, 1.0 / 3.0, 0.25, 0.5, 0.2, 1.0 / 3.0, 0.5)
            )
        self.splits[i].append((ordinal, factor))

    def _change_market(self, ordinal: int, sources: tuple[str, ...], target: str) -> None:
        promote = target in ("0101", "0111")
        picks = [
            self._pick_listed(
                lambda i: (
                    i not in self._pinned
                    and self._current_market(i) in sources
                    and self.markets[i][-1][0] < ordinal - 250
                )
            )
            for _ in range(2)
        ]
        picks = [p for p in picks if p is not None]
        if picks:  # promotions favour bigger issues, demotions smaller ones
            i = max(picks, key=lambda c: self.size[c] if promote else -self.size[c])
            self.markets[i].append((ordinal, _MKT[target]))
            if promote:
                self.size[i] += 0.6
            else:
                self.size[i] -= 0.4

    def _reorganise(self, ordinal: int) -> None:
        """2022-04-04: the TSE's five markets become Prime / Standard / Growth."""
        mapping = {
            "0101": (("0111", "0112"), (0.84, 0.16)),
            "0102": (("0112",), (1.0,)),
            "0104": (("0113", "0111", "0112"), (0.9, 0.05, 0.05)),
            "0106": (("0112", "0111", "0113"), (0.93, 0.04, 0.03)),
            "0107": (("0113",), (1.0,)),
        }
        for i in sorted(self._listed):
            current = self._current_market(i)
            choices, weights = mapping[current]
            if current == "0101" and self.size[i] > 1.3:
                target = "0111"  # the large first-section issues all chose Prime
            else:
                target = self._rng.choices(choices, weights)[0]
            self.markets[i].append((ordinal, _MKT[target]))

    # -- freezing into arrays -------------------------------------------------------------
    def _freeze(self) -> None:
        n = len(self.codes)
        self.n = n
        self.code_index = {c: i for i, c in enumerate(self.codes)}
        self.code_order = np.array(sorted(range(n), key=lambda i: self.codes[i]), dtype=np.int64)
        self.list_arr = np.array(self.list_ord, dtype=np.int64)
        self.delist_arr = np.array(self.delist_ord, dtype=np.int64)
        self.sector_arr = np.array(self.sector, dtype=np.int64)
        self.margin_arr = np.array(self.margin, dtype=np.int64)
        self.size_arr = np.array(self.size, dtype=np.float64)

        self.mk_ord, self.mk_code = _pad(self.markets, 0, np.int64)
        self.nm_ord, self.nm_id = _pad(self.name_hist, 0, np.int64)
        self.sp_ord, self.sp_f = _pad(self.splits, 1.0, np.float64)
        # History starts at listing; for lookups before that (never served) use the first entry.
        self.mk_ord[:, 0] = np.iinfo(np.int64).min // 4
        self.nm_ord[:, 0] = np.iinfo(np.int64).min // 4
        del self._listed, self._listed_pos, self._name_seen

    def add_split(self, i: int, ordinal: int, factor: float) -> None:
        """A split found out after the fact (see Corrections); re-pads the split table."""
        self.splits[i].append((ordinal, factor))
        self.sp_ord, self.sp_f = _pad(self.splits, 1.0, np.float64)

    def listed_mask(self, ordinal: int) -> np.ndarray:
        return (self.list_arr <= ordinal) & (ordinal < self.delist_arr)

    def market_at(self, idx: np.ndarray, ords: np.ndarray) -> np.ndarray:
        j = (self.mk_ord[idx] <= ords[:, None]).sum(axis=1) - 1
        return self.mk_code[idx, j]

    def name_at(self, idx: np.ndarray, ords: np.ndarray) -> np.ndarray:
        j = (self.nm_ord[idx] <= ords[:, None]).sum(axis=1) - 1
        return self.nm_id[idx, j]


def _pad(hist: list[list[tuple[int, Any]]], fill_value: Any, dtype: Any, min_width: int = 1):
    """Per-issue event histories as (n, width) arrays sorted by date; padding dates are _BIG."""
    n = len(hist)
    width = max(min_width, max(len(h) for h in hist))
    ords = np.full((n, width), _BIG, dtype=np.int64)
    vals = np.full((n, width), fill_value, dtype=dtype)
    for i, h in enumerate(hist):
        for j, (o, v) in enumerate(sorted(h)):
            ords[i, j] = o
            vals[i, j] = v
    return ords, vals


class _PriceModel:
    """O(1) price/volume formulas per (issue, business-day index), vectorised elementwise.

    log F(i, t) = base_i + drift_i * t + beta_i * M(t) + sum_k A_ik sin(w_ik t + p_ik) + sig_i * z(i, t)
    where M(t) is a market factor of the same shape and z is a counter-based hashed normal.
    F is the price in the issue's original share units; raw prices multiply it by the
    product of split factors already in effect.
    """

    _K = 5

    def __init__(self, seed: int, n: int, size: np.ndarray) -> None:
        rng = np.random.default_rng([seed, 0xBA125])
        k = self._K
        # Small issues swing more than large caps.
        vol = rng.lognormal(np.log(0.013), 0.35, n) * np.exp(-0.09 * np.clip(size, -2.5, 6.0))
        vol = np.clip(vol, 0.006, 0.05)
        self.sig = vol
        self.base = rng.normal(np.log(1100.0), 0.85, n) + 0.08 * np.clip(size, -3, 5)
        self.drift = rng.normal(0.00006, 0.00012, n)
        self.beta = np.clip(rng.normal(1.0, 0.35, n), 0.1, 2.2)
        periods = np.array([1300.0, 480.0, 170.0, 60.0, 19.0]) * rng.uniform(0.7, 1.4, (n, k))
        self.freq = 2 * np.pi / periods
        self.amp = (
            (vol / 0.016)[:, None]
            * np.array([0.32, 0.18, 0.09, 0.05, 0.025])
            * rng.uniform(0.5, 1.5, (n, k))
        )
        self.phase = rng.uniform(0, 2 * np.pi, (n, k))
        self.vbase = (
            np.log(2.0e5)
            + 0.9 * np.clip(size, -3, 6)
            + rng.normal(0, 0.5, n)
            - 0.4 * (self.base - 7.0)
        )
        self.p_no_trade = np.clip(0.004 + 0.03 / (1.0 + np.exp(2.0 * (size + 0.8))), 0.001, 0.06)
        self.m_freq = (
            2 * np.pi / (np.array([1700.0, 620.0, 210.0, 58.0]) * rng.uniform(0.85, 1.15, 4))
        )
        self.m_amp = np.array([0.28, 0.13, 0.07, 0.03])
        self.m_phase = rng.uniform(0, 2 * np.pi, 4)
        seed_key = _mix64(np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64) ^ _GOLDEN)
        ids = np.arange(n + 1, dtype=np.uint64)  # id n = the market factor
        self.market_id = n
        with np.errstate(over="ignore"):
            self._issue_key = _mix64(ids * _GOLDEN ^ seed_key)

    def uniform(self, idx: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
        """Uniform(0, 1) noise number ``k`` for (issue, day), reproducible from any slice."""
        with np.errstate(over="ignore"):
            x = self._issue_key[idx] + t.astype(np.uint64) * _T_MUL + np.uint64(k) * _K_MUL
            x = _mix64(x)
        return ((x >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / 9007199254740992.0)

    def normal(self, idx: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
        u1 = self.uniform(idx, t, k)
        u2 = self.uniform(idx, t, k + 1)
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)

    def market(self, t: np.ndarray) -> np.ndarray:
        """The market factor M(t) every issue loads on (indices and futures follow it)."""
        tt = t.astype(np.float64)
        market_idx = np.full(t.shape, self.market_id, dtype=np.int64)
        m = (self.m_amp * np.sin(self.m_freq * tt[:, None] + self.m_phase)).sum(axis=1)
        return m + 0.006 * self.normal(market_idx, t, 0)

    def log_fundamental(self, idx: np.ndarray, t: np.ndarray) -> np.ndarray:
        tt = t.astype(np.float64)
        m = self.market(t)
        cyc = (self.amp[idx] * np.sin(self.freq[idx] * tt[:, None] + self.phase[idx])).sum(axis=1)
        return (
            self.base[idx]
            + self.drift[idx] * tt
            + self.beta[idx] * m
            + cyc
            + self.sig[idx] * self.normal(idx, t, 0)
        )


_STD_TICKS = (
    np.array([3000, 5000, 30000, 50000, 300000, 500000, 3e6, 5e6, 3e7, 5e7, np.inf]),
    np.array([1, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000, 100000], dtype=float),
)
_FINE_TICKS = (
    np.array([1000, 3000, 10000, 30000, 100000, 300000, 1e6, 3e6, 1e7, 3e7, np.inf]),
    np.array([0.1, 0.5, 1, 5, 10, 50, 100, 500, 1000, 5000, 10000], dtype=float),
)


def _tick(price: np.ndarray, fine: np.ndarray) -> np.ndarray:
    std = _STD_TICKS[1][np.searchsorted(_STD_TICKS[0], price, side="left")]
    fin = _FINE_TICKS[1][np.searchsorted(_FINE_TICKS[0], price, side="left")]
    return np.where(fine, fin, std)


def _to_tick(price: np.ndarray, fine: np.ndarray, mode: str) -> np.ndarray:
    tick = _tick(price, fine)
    q = price / tick
    if mode == "up":
        q = np.ceil(q - 1e-9)
    elif mode == "down":
        q = np.floor(q + 1e-9)
    else:
        q = np.round(q)
    return np.round(np.maximum(q, 1.0) * tick, 1)


class Dataset:
    """The data a J-Quants V2 account would see, synthesised deterministically from ``seed``.

    ``today`` (None = today in Asia/Tokyo, re-read on every call) decides which data exist,
    how far the calendar is published and the base date of the adjusted prices. The
    simulator's clock is "the evening of today" (about 20:00 JST): everything J-Quants
    publishes by then for ``today`` exists; derivatives (published 03:00 the next day) do not.

    ``plan`` is the default for plan-dependent columns when a method is not given one:
    Premium adds session bars; Free/Light omit the margin columns of the master.
    Returned rows are fresh copies, exactly as the API serialises them.

    The other datasets hang off this one and share its universe, calendar and prices:
    :attr:`fundamentals` (statements, dividends, earnings dates, valuation), :attr:`markets`
    (margin, short selling, breakdown, investor types), :attr:`indices`, :attr:`derivatives`.
    """

    def __init__(
        self, seed: int = 42, today: dt.date | None = None, plan: str = "standard"
    ) -> None:
        if plan not in PLANS:
            raise ValueError(f"plan must be one of {PLANS}, not {plan!r}")
        self.seed = int(seed)
        self.plan = plan
        self._today = today
        self._lock = threading.RLock()
        self._cal = _Calendar(max(UNIVERSE_END_YEAR + 1, self.today.year + 1))
        self._u = _Universe(self.seed, self._cal)
        self._model = _PriceModel(self.seed, self._u.n, self._u.size_arr)
        self._review_ords, self._review_cat = self._scale_reviews()
        ids = np.arange(self._u.n, dtype=np.int64)
        size = np.clip(self._u.size_arr, -3.0, 6.0)
        shares = 10 ** (7.2 + 0.38 * size + 0.3 * noise.normal(self.seed, ids, 0x5A4E))
        self.base_shares = np.round(np.clip(shares, 1.5e6, 1.5e10), -3)
        self.treasury_frac = 0.002 + 0.07 * noise.uniform(self.seed, ids, 0x7EA5) ** 2
        self._bars_cache = _LRU(6)
        self._master_cache = _LRU(4)
        self._close_fixes: dict[tuple[int, int], float] = {}
        self._parts: dict[str, Any] = {}
        self.version = 0
        """Bumped by every correction: caches of derived data compare against it."""

    # -- the other datasets -----------------------------------------------------------
    def _part(self, name: str, factory: Callable[[], Any]) -> Any:
        with self._lock:
            part = self._parts.get(name)
            if part is None:
                part = self._parts[name] = factory()
            return part

    @property
    def fundamentals(self) -> Any:
        from moo_markets.jquants_sim.fundamentals import Fundamentals

        return self._part("fundamentals", lambda: Fundamentals(self))

    @property
    def markets(self) -> Any:
        from moo_markets.jquants_sim.markets import Markets

        return self._part("markets", lambda: Markets(self))

    @property
    def indices(self) -> Any:
        from moo_markets.jquants_sim.indices import Indices

        return self._part("indices", lambda: Indices(self))

    @property
    def derivatives(self) -> Any:
        from moo_markets.jquants_sim.derivatives import Derivatives

        return self._part("derivatives", lambda: Derivatives(self))

    def invalidate(self) -> None:
        """Forget every cached row (after a correction or a move of "today")."""
        with self._lock:
            self.version += 1
            self._bars_cache.clear()
            self._master_cache.clear()
            for part in self._parts.values():
                part.invalidate()

    # -- time -------------------------------------------------------------------------
    @property
    def today(self) -> dt.date:
        return self._today if self._today is not None else tokyo_today()

    def set_today(self, today: dt.date | None) -> None:
        """Move "now" (None = follow the Tokyo clock); extends the calendar if needed."""
        with self._lock:
            self._today = today
            if self.today.year + 1 > self._cal.last_year:
                self._cal = _Calendar(self.today.year + 1)
            self.invalidate()

    def published_calendar_end(self) -> dt.date:
        """Next year's calendar is published at the end of March."""
        today = self.today
        year = today.year + 1 if today >= dt.date(today.year, 3, 31) else today.year
        return dt.date(year, 12, 31)

    # -- calendar ---------------------------------------------------------------------
    def calendar(
        self, from_: dt.date | None = None, to: dt.date | None = None, hol_div: str | None = None
    ) -> list[dict[str, str]]:
        cal = self._cal
        first = max(CALENDAR_START, from_ or CALENDAR_START).toordinal()
        last = min(self.published_calendar_end(), to or dt.date.max).toordinal()
        rows = []
        for o in range(first, last + 1):
            div = "1" if cal.is_open[o - cal.base] else "0"
            if hol_div is None or div == hol_div:
                rows.append({"Date": cal.iso[o - cal.base], "HolDiv": div})
        return rows

    def is_business_day(self, d: dt.date) -> bool:
        return self._cal.is_business_day(d.toordinal())

    def next_business_day(self, d: dt.date) -> dt.date | None:
        o = self._cal.next_business_day(d.toordinal())
        return None if o is None else dt.date.fromordinal(o)

    def business_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Business days in ``first..last`` (inclusive)."""
        ords = self._cal.business_days(first.toordinal(), last.toordinal())
        return [dt.date.fromordinal(o) for o in ords.tolist()]

    def previous_business_day(self, d: dt.date) -> dt.date | None:
        ords = self._cal.business_days(CALENDAR_START.toordinal(), d.toordinal() - 1)
        return dt.date.fromordinal(int(ords[-1])) if len(ords) else None

    # -- master -----------------------------------------------------------------------
    def master(self, on: dt.date | None = None, plan: str | None = None) -> list[dict[str, str]]:
        """Snapshot on ``on`` (None = today); a non-business day gives the next business day's
        list, dates before 2008-05-07 give that first snapshot, and dates past the next
        business day after today give []."""
        return [dict(r) for r in self.master_rows(on, plan)]

    def master_rows(
        self, on: dt.date | None = None, plan: str | None = None
    ) -> list[dict[str, str]]:
        """Like :meth:`master` but the cached row objects themselves (read-only; for the server)."""
        effective = self.master_date(on)
        if effective is None:
            return []
        with_margin = (plan or self.plan) in ("standard", "premium")
        return self._master_cache.get_or_compute(
            (effective.toordinal(), with_margin),
            lambda: self.master_table(effective, with_margin).rows(),
        )

    def master_date(self, on: dt.date | None = None) -> dt.date | None:
        """The snapshot date that a master query for ``on`` resolves to (None = nothing)."""
        on = max(on or self.today, DATA_START)
        effective = self.next_business_day(on)
        latest = self.next_business_day(self.today + dt.timedelta(days=1))
        if effective is None or latest is None or effective > latest:
            return None
        return effective

    def master_table(self, day: dt.date, with_margin: bool = True) -> Table:
        """Every issue listed on business day ``day``, in code order."""
        u = self._u
        o = day.toordinal()
        idx = u.code_order[u.listed_mask(o)[u.code_order]]
        ords = np.full(len(idx), o, dtype=np.int64)
        mkt = u.market_at(idx, ords)
        name = u.name_at(idx, ords).tolist()
        cat = self._scale_cat(idx, ords, mkt).tolist()
        sectors = u.sector_arr[idx].tolist()
        margins = u.margin_arr[idx].tolist()
        iso = day.isoformat()
        rows = []
        for i, m, nm, c, s, mg in zip(
            idx.tolist(), mkt.tolist(), name, cat, sectors, margins, strict=True
        ):
            s33, s33nm, s17 = SECTOR33[s]
            ja, en = u.names[nm]
            row = [iso, u.codes[i], ja, en, s17, SECTOR17[s17], s33, s33nm, SCALE_CATS[c]]
            row += MARKETS[m]
            if with_margin:
                row += MARGINS[mg]
            row.append(PROD_CAT_DOMESTIC_STOCK)
            rows.append(row)
        keys = MASTER_KEYS if with_margin else tuple(k for k in MASTER_KEYS if k not in _MARGIN)
        return Table.from_rows(keys, rows)

    def _scale_reviews(self) -> tuple[np.ndarray, np.ndarray]:
        """TOPIX size categories, re-ranked at each October review among 1st section / Prime."""
        u = self._u
        review_days = [DATA_START.toordinal()]
        for year in range(DATA_START.year, UNIVERSE_END_YEAR + 1):
            days = self._cal.business_days(
                dt.date(year, 10, 1).toordinal(), dt.date(year, 10, 31).toordinal()
            )
            review_days.append(int(days[-1]))
        cats = np.full((len(review_days), u.n), _CAT_NONE, dtype=np.int8)
        all_idx = np.arange(u.n, dtype=np.int64)
        for r, o in enumerate(review_days):
            listed = u.listed_mask(o)
            mkt = u.market_at(all_idx, np.full(u.n, o, dtype=np.int64))
            eligible = np.flatnonzero(listed & np.isin(mkt, (_MKT["0101"], _MKT["0111"])))
            drift = 0.15 * self._model.normal(
                eligible, np.full(len(eligible), 100_000 + r, dtype=np.int64), 40
            )
            ranked = eligible[np.argsort(-(u.size_arr[eligible] + drift), kind="stable")]
            bounds = np.cumsum([30, 70, 400, 500])
            cats[r, ranked] = np.searchsorted(bounds, np.arange(len(ranked)), side="right").astype(
                np.int8
            )
        return np.array(review_days, dtype=np.int64), cats

    def _scale_cat(self, idx: np.ndarray, ords: np.ndarray, mkt: np.ndarray) -> np.ndarray:
        r = np.clip(np.searchsorted(self._review_ords, ords, side="right") - 1, 0, None)
        cat = self._review_cat[r, idx]
        topix = (mkt == _MKT["0101"]) | (mkt == _MKT["0111"])
        return np.where(topix, np.where(cat == _CAT_NONE, _CAT_SMALL2, cat), _CAT_NONE)

    # -- universe helpers for the other datasets --------------------------------------
    def listed(self, day: dt.date) -> np.ndarray:
        """Issue ids listed on ``day``, in code order."""
        u = self._u
        return u.code_order[u.listed_mask(day.toordinal())[u.code_order]]

    def issue(self, code: str) -> int | None:
        """The issue id of a 4- or 5-character code (None if never listed)."""
        return self._u.code_index.get(normalize_code(code))

    def code_of(self, idx: np.ndarray) -> list[str]:
        codes = self._u.codes
        return [codes[i] for i in idx.tolist()]

    def name_of(self, idx: np.ndarray, ords: np.ndarray) -> list[tuple[str, str]]:
        """(Japanese, English) company names in effect on each day."""
        names = self._u.names
        return [names[n] for n in self._u.name_at(idx, ords).tolist()]

    def market_of(self, idx: np.ndarray, ords: np.ndarray) -> np.ndarray:
        """Index into :data:`MARKETS` in effect on each day."""
        return self._u.market_at(idx, ords)

    def listing_span(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first listed day, first day no longer listed) ordinals."""
        return self._u.list_arr[idx], self._u.delist_arr[idx]

    def split_factor_in_effect(self, idx: np.ndarray, ords: np.ndarray) -> np.ndarray:
        """Product of AdjFactors with ex-date <= each day: raw price = base price x this."""
        u = self._u
        return np.where(u.sp_ord[idx] <= ords[:, None], u.sp_f[idx], 1.0).prod(axis=1)

    def shares_outstanding(self, idx: np.ndarray, ords: np.ndarray) -> np.ndarray:
        """Issued shares (treasury stock included) on each day; splits multiply them."""
        return np.round(self.base_shares[idx] / self.split_factor_in_effect(idx, ords))

    def model_close(self, idx: np.ndarray, ords: np.ndarray) -> np.ndarray:
        """Unrounded raw close (the "base price" when nothing traded): cheap, no ticks."""
        t = self._cal.index_of(ords)
        return np.exp(self._model.log_fundamental(idx, t)) * self.split_factor_in_effect(idx, ords)

    def day_index(self, ords: np.ndarray) -> np.ndarray:
        """Business-day index t of each (business-day) ordinal: the price model's time axis."""
        return self._cal.index_of(ords)

    @property
    def n_issues(self) -> int:
        return self._u.n

    @property
    def sectors(self) -> np.ndarray:
        """Index into :data:`SECTOR33` per issue id."""
        return self._u.sector_arr

    @property
    def margin_types(self) -> np.ndarray:
        """Index into :data:`MARGINS` per issue id."""
        return self._u.margin_arr

    @property
    def sizes(self) -> np.ndarray:
        return self._u.size_arr

    @property
    def price_model(self) -> Any:
        return self._model

    @property
    def business_day_ordinals(self) -> np.ndarray:
        return self._cal.bd_ords

    # -- bars -------------------------------------------------------------------------
    def bars_on(self, d: dt.date, plan: str | None = None) -> list[dict[str, Any]]:
        """Every listed issue's bar on ``d`` ([] on non-business days, before 2008-05-07 or after today)."""
        return [dict(r) for r in self.bars_rows_on(d, plan)]

    def bars_rows_on(self, d: dt.date, plan: str | None = None) -> list[dict[str, Any]]:
        """Like :meth:`bars_on` but the cached row objects themselves (read-only; for the server)."""
        table = self.bars_table_on(d, plan)
        return table.rows() if len(table) < 100 else self._rows_of(("bars", d, plan), table)

    def _rows_of(self, key: Hashable, table: Table) -> list[dict[str, Any]]:
        return self._bars_cache.get_or_compute(("rows", key, self.version), table.rows)

    def bars_table_on(self, d: dt.date, plan: str | None = None) -> Table:
        premium = (plan or self.plan) == "premium"
        today = self.today
        if d < DATA_START or d > today or not self.is_business_day(d):
            return Table.empty(bar_keys(premium))
        o = d.toordinal()

        def build() -> Table:
            u = self._u
            idx = u.code_order[u.listed_mask(o)[u.code_order]]
            return self.bars_table(idx, np.full(len(idx), o, dtype=np.int64), premium)

        return self._bars_cache.get_or_compute(
            ("table", o, today.toordinal(), premium, self.version), build
        )

    def bars_for_code(
        self,
        code: str,
        from_: dt.date | None = None,
        to: dt.date | None = None,
        plan: str | None = None,
    ) -> list[dict[str, Any]]:
        """One issue's bars, oldest first; a 4-character code means the common stock (``7203`` = ``72030``)."""
        return self.bars_table_for_code(code, from_, to, plan).rows()

    def bars_table_for_code(
        self,
        code: str,
        from_: dt.date | None = None,
        to: dt.date | None = None,
        plan: str | None = None,
    ) -> Table:
        premium = (plan or self.plan) == "premium"
        idx, ords = self.issue_days(code, from_, to)
        return self.bars_table(idx, ords, premium)

    def issue_days(
        self, code: str, from_: dt.date | None = None, to: dt.date | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(issue ids, ordinals) of the business days ``code`` was listed in ``from_..to``
        (clipped to 2008-05-07..today)."""
        u = self._u
        i = u.code_index.get(normalize_code(code))
        empty = np.zeros(0, dtype=np.int64)
        if i is None:
            return empty, empty
        today = self.today
        first = max(from_ or DATA_START, DATA_START).toordinal()
        first = max(first, int(u.list_arr[i]))
        last = min((to or today), today).toordinal()
        last = min(last, int(u.delist_arr[i]) - 1)
        if last < first:
            return empty, empty
        ords = self._cal.business_days(first, last)
        return np.full(len(ords), i, dtype=np.int64), ords

    def split_events(self) -> list[tuple[dt.date, str, float]]:
        """(ex-date, code, AdjFactor) of every split with ex-date <= today, by date then code."""
        u = self._u
        today = self.today.toordinal()
        events = [
            (dt.date.fromordinal(o), u.codes[i], f)
            for i, hist in enumerate(u.splits)
            for o, f in hist
            if o <= today
        ]
        return sorted(events, key=lambda e: (e[0], e[1]))

    def split_ordinals(self) -> tuple[np.ndarray, np.ndarray]:
        """The padded (issue x split) ex-date ordinals and factors."""
        return self._u.sp_ord, self._u.sp_f

    def codes(self) -> list[str]:
        """Every code that is ever listed (through the generated horizon), sorted."""
        return [self._u.codes[i] for i in self._u.code_order.tolist()]

    # -- corrections (see corrections.py) ---------------------------------------------
    def fix_close(self, code: str, day: dt.date, factor: float) -> None:
        """Correct the close of ``code`` on ``day`` to about ``factor`` times what it was."""
        i = self.issue(code)
        if i is None:
            raise ValueError(f"unknown code {code!r}")
        with self._lock:
            key = (i, day.toordinal())
            self._close_fixes[key] = self._close_fixes.get(key, 1.0) * factor
            self.invalidate()

    def add_split(self, code: str, ex_date: dt.date, factor: float) -> None:
        """A split (factor < 1) or reverse split (> 1) with ex-date ``ex_date``, added now."""
        i = self.issue(code)
        if i is None:
            raise ValueError(f"unknown code {code!r}")
        if not 0 < factor < 100 or factor == 1.0:
            raise ValueError("factor must be a positive AdjFactor other than 1")
        if not self.is_business_day(ex_date):
            raise ValueError(f"{ex_date} is not a business day")
        with self._lock:
            self._u.add_split(i, ex_date.toordinal(), float(factor))
            self.invalidate()

    def bars_table(self, idx: np.ndarray, ords: np.ndarray, premium: bool = False) -> Table:
        """Bars for the (issue, day) pairs ``idx[j], ords[j]`` (the API's rows, as columns)."""
        keys = bar_keys(premium)
        if len(idx) == 0:
            return Table.empty(keys)
        arrays = self.bar_arrays(idx, ords)
        u, cal = self._u, self._cal
        adj, factor, no_trade = arrays["adj"], arrays["factor"], arrays["no_trade"]
        op, hi, lo, cl, vo, va = (arrays[k] for k in ("O", "H", "L", "C", "Vo", "Va"))

        def adj_price(x: np.ndarray) -> list[float]:
            return np.where(adj == 1.0, x, np.round(x * adj, _ADJ_DECIMALS)).tolist()

        def adj_volume(x: np.ndarray) -> list[float]:
            return np.where(adj == 1.0, x, np.round(x / adj, _ADJ_DECIMALS)).tolist()

        def flag(x: np.ndarray) -> list[str]:
            return np.where(x, "1", "0").tolist()

        if np.all(ords == ords[0]):
            dates = [cal.iso_of(int(ords[0]))] * len(ords)
        else:
            dates = [cal.iso[o - cal.base] for o in ords.tolist()]
        ul, ll = arrays["UL"], arrays["LL"]
        columns = [
            dates, [u.codes[i] for i in idx.tolist()],
            op.tolist(), hi.tolist(), lo.tolist(), cl.tolist(), flag(ul), flag(ll), vo.tolist(), va.tolist(),
            factor.tolist(), adj_price(op), adj_price(hi), adj_price(lo), adj_price(cl), adj_volume(vo),
        ]  # fmt: skip
        if premium:
            mid, m_vo = arrays["mid"], arrays["m_vo"]
            m_hi, m_lo, a_hi, a_lo = arrays["m_hi"], arrays["m_lo"], arrays["a_hi"], arrays["a_lo"]
            a_vo = vo - m_vo
            m_va = np.round(va * m_vo / vo)
            a_va = va - m_va
            columns += [
                op.tolist(), m_hi.tolist(), m_lo.tolist(), mid.tolist(), flag(ul & (m_hi == hi)),
                flag(ll & (m_lo == lo)), m_vo.tolist(), m_va.tolist(), adj_price(op), adj_price(m_hi),
                adj_price(m_lo), adj_price(mid), adj_volume(m_vo),
                mid.tolist(), a_hi.tolist(), a_lo.tolist(), cl.tolist(), flag(ul & (a_hi == hi)),
                flag(ll & (a_lo == lo)), a_vo.tolist(), a_va.tolist(), adj_price(mid), adj_price(a_hi),
                adj_price(a_lo), adj_price(cl), adj_volume(a_vo),
            ]  # fmt: skip
        mkt_cap = np.round(cl * arrays["float_shares"] / 1e6)
        columns.append(mkt_cap.tolist())
        columns.append(np.where(factor < 1.0, "1", np.where(factor > 1.0, "2", "")).tolist())
        ex_rt = columns[-1]
        for j in np.flatnonzero(factor == 1.0).tolist():
            ex_rt[j] = None
        nullable = [n for n, k in enumerate(keys) if k in _NULL_ON_NO_TRADE]
        for j in np.flatnonzero(no_trade).tolist():
            for n in nullable:
                columns[n][j] = None
        return Table(keys, tuple(columns))

    def bar_arrays(self, idx: np.ndarray, ords: np.ndarray) -> dict[str, np.ndarray]:
        """The numbers behind the bars of (issue, day) pairs, before formatting: O/H/L/C,
        Vo/Va, flags, factors, session split and the float shares used for MktCap."""
        u, model = self._u, self._model
        t = self._cal.index_of(ords)
        o2 = ords[:, None]
        today_ord = self.today.toordinal()
        sp_ord, sp_f = u.sp_ord[idx], u.sp_f[idx]
        cum = np.where(sp_ord <= o2, sp_f, 1.0).prod(axis=1)
        adj = np.where((sp_ord > o2) & (sp_ord <= today_ord), sp_f, 1.0).prod(axis=1)
        factor = np.where(sp_ord == o2, sp_f, 1.0).prod(axis=1)
        mkt = u.market_at(idx, ords)
        fine = (self._scale_cat(idx, ords, mkt) <= 1) & (ords >= FINE_TICK_START.toordinal())

        lf = model.log_fundamental(idx, t)
        lf_prev = model.log_fundamental(idx, t - 1)
        log_open = lf_prev + 0.35 * (lf - lf_prev) + 0.004 * model.normal(idx, t, 2)
        o_raw = np.exp(log_open) * cum
        c_raw = np.exp(lf) * cum
        spread = 0.55 * model.sig[idx]
        h_raw = np.maximum(o_raw, c_raw) * np.exp(-np.log(model.uniform(idx, t, 4)) * spread)
        l_raw = np.minimum(o_raw, c_raw) * np.exp(np.log(model.uniform(idx, t, 5)) * spread)
        op = _to_tick(o_raw, fine, "nearest")
        cl = _to_tick(c_raw, fine, "nearest")
        hi = np.maximum(_to_tick(h_raw, fine, "up"), np.maximum(op, cl))
        lo = np.minimum(_to_tick(l_raw, fine, "down"), np.minimum(op, cl))
        u_limit = model.uniform(idx, t, 6)
        ul = u_limit < 0.0015
        ll = u_limit > 1 - 0.0015
        cl = np.where(ul, hi, np.where(ll, lo, cl))
        if self._close_fixes:
            cl = self._apply_close_fixes(idx, ords, cl, fine)
            hi = np.maximum(hi, cl)
            lo = np.minimum(lo, cl)
        log_vol = model.vbase[idx] + 0.45 * model.normal(idx, t, 7) + 8.0 * np.abs(lf - lf_prev)
        vo = np.maximum(np.round(np.exp(log_vol) / cum / 100.0) * 100.0, 200.0)
        vwap = lo + (hi - lo) * (0.3 + 0.4 * model.uniform(idx, t, 9))
        va = np.round(vo * vwap)
        no_trade = ((model.uniform(idx, t, 10) < model.p_no_trade[idx]) & (factor == 1.0)) | (
            ords == OUTAGE_DAY.toordinal()
        )
        ul &= ~no_trade
        ll &= ~no_trade
        mid = np.clip(_to_tick(lo + (hi - lo) * model.uniform(idx, t, 11), fine, "nearest"), lo, hi)
        m_hi, m_lo = np.maximum(op, mid), np.minimum(op, mid)
        a_hi, a_lo = np.maximum(mid, cl), np.minimum(mid, cl)
        high_in_morning = model.uniform(idx, t, 12) < 0.5
        low_in_morning = model.uniform(idx, t, 13) < 0.5
        shares = np.round(self.base_shares[idx] / cum)
        return {
            "O": op, "H": hi, "L": lo, "C": cl, "Vo": vo, "Va": va, "UL": ul, "LL": ll,
            "adj": adj, "factor": factor, "no_trade": no_trade, "mid": mid,
            "m_hi": np.where(high_in_morning, hi, m_hi), "a_hi": np.where(high_in_morning, a_hi, hi),
            "m_lo": np.where(low_in_morning, lo, m_lo), "a_lo": np.where(low_in_morning, a_lo, lo),
            "m_vo": np.clip(
                np.round(vo * (0.4 + 0.3 * model.uniform(idx, t, 14)) / 100.0) * 100.0, 100.0, vo - 100.0
            ),
            "shares": shares,
            "float_shares": np.round(shares * (1.0 - self.treasury_frac[idx])),
            "model_close": c_raw,
        }  # fmt: skip

    def _apply_close_fixes(
        self, idx: np.ndarray, ords: np.ndarray, cl: np.ndarray, fine: np.ndarray
    ) -> np.ndarray:
        keys = idx * (1 << 32) + ords
        fixes = self._close_fixes
        fix_keys = np.array([i * (1 << 32) + o for i, o in fixes], dtype=np.int64)
        hit = np.isin(keys, fix_keys)
        if not hit.any():
            return cl
        out = cl.copy()
        for j in np.flatnonzero(hit).tolist():
            f = fixes[(int(idx[j]), int(ords[j]))]
            out[j] = _to_tick(np.array([cl[j] * f]), fine[j : j + 1], "nearest")[0]
        return out


_MARGIN = frozenset({"Mrgn", "MrgnNm"})
EXTRA_BAR_KEYS = ("MktCap", "ExRT")
"""Sent after every other bar field (docs/jquants-datasets.md: seen since 2026-08)."""


def bar_keys(premium: bool) -> tuple[str, ...]:
    """Field order of a daily bar: base fields, the Premium session fields, MktCap, ExRT."""
    return BAR_KEYS + (PREMIUM_BAR_KEYS if premium else ()) + EXTRA_BAR_KEYS


def normalize_code(code: str) -> str:
    """J-Quants accepts the 4-character code of a common stock for its 5-character code."""
    code = code.strip().upper()
    return code + "0" if len(code) == 4 else code
