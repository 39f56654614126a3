"""Every component id of the dashboard, unique across pages.

Pages import their ids from here so that a test, a callback and a layout can
never disagree on a name. Ids are prefixed by the page that owns them.
"""

# -- the shell (every page) ----------------------------------------------------
POLL = "live-poll"                    # dcc.Interval ticking every HELIOS_POLL_SECONDS
DATA_VERSION = "live-data-version"    # dcc.Store: the last data-version token seen
LIVE_PAUSE = "live-pause"             # dbc.Switch: stop polling
LIVE_UPDATED = "live-updated"         # "updated hh:mm:ss"
ROUTE_NONCE = "route-nonce"           # dcc.Store: set on back/forward so the router renders the URL
USER_MENU = "user-menu"               # the signed-in user's name in the navbar, a link to /account
SIGN_OUT = "sign-out"                 # the navbar's sign-out button (a form posting to /logout)
NAV_LINK = "nav-link"                 # pattern-matching type: {"type": NAV_LINK, "page": path}
VIEW_QUERY = "view-query"             # pattern type: the search string a page's controls ask for
VIEW_STATE = "view-state"             # pattern type: the view parsed from the URL, input of the charts
COPY_LINK = "copy-link"               # pattern-matching type: {"type": COPY_LINK, "page": name}
DOWNLOAD_MENU = "download-menu"       # pattern type: the page's "Download" dropdown
DOWNLOAD_ITEM = "download-item"       # pattern type: {"type", "page", "format"}: one export format
DOWNLOAD = "download"                 # pattern type: the page's dcc.Download
DOWNLOAD_STATUS = "download-status"   # pattern type: why an export failed, if it did

# -- shared filter controls, one set per page ----------------------------------
# Use ``control(page, name)``: the same control on two pages needs two ids.
DOMAIN, TYPE, DATES, GRANULARITY, TZ = "domain", "type", "dates", "granularity", "tz"


def control(page: str, name: str) -> str:
    """The id of filter control ``name`` on ``page`` (e.g. ``trends-domain``)."""
    return f"{page}-{name}"


# -- overview -------------------------------------------------------------------
OVERVIEW_KPIS = "overview-kpis"
OVERVIEW_TREND = "overview-trend"
OVERVIEW_TOP = "overview-top"

# -- domains ------------------------------------------------------------------------
DOMAINS_CARDS = "domains-cards"
DOMAINS_CHART = "domains-chart"
DOMAINS_FOCUS = "domains-focus"  # pattern type: {"type": DOMAINS_FOCUS, "domain": id}, a card's button

# -- trends -----------------------------------------------------------------------
TRENDS_SPLIT = "trends-split"
TRENDS_ROLLING = "trends-rolling"
TRENDS_QUALITY = "trends-quality"
TRENDS_SPEEDUP = "trends-speedup"
TRENDS_COUNT = "trends-count"
TRENDS_TZ_NOTE = "trends-tz-note"

# -- compare ------------------------------------------------------------------------
COMPARE_ALGORITHMS = "compare-algorithms"
COMPARE_TABLE = "compare-table"
COMPARE_DIFFERENCES = "compare-differences"
COMPARE_TRENDS = "compare-trends"
COMPARE_METRICS_CHART = "compare-metrics-chart"
COMPARE_MESSAGE = "compare-message"  # why nothing is compared (fewer than 2 chosen, ...)

# -- leaderboard ------------------------------------------------------------------
LEADERBOARD_GRID = "leaderboard-grid"
LEADERBOARD_CHART = "leaderboard-chart"
LEADERBOARD_SUMMARY = "leaderboard-summary"
LEADERBOARD_SEARCH = "leaderboard-search"        # the grid's quick filter, URL param ``q``
LEADERBOARD_LAST_30 = "leaderboard-last-30"      # button: set the date range to the last 30 days
LEADERBOARD_RANGE_BOX = "leaderboard-range-box"
LEADERBOARD_RANGE_HINT = "leaderboard-range-hint"  # "rank change needs a date range"

# -- algorithm (/algorithms/<id>) ---------------------------------------------------
ALGORITHM_FIGURES = "algorithm-figures"   # its metrics: quality and interval, rank range, speedup, ...
ALGORITHM_TREND = "algorithm-trend"
ALGORITHM_RANKS = "algorithm-ranks"       # rank in its domain per period
ALGORITHM_LATEST = "algorithm-latest"     # its latest validations
ALGORITHM_MISSING = "algorithm-missing"   # the "No algorithm X" notice
