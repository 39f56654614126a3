"""The one toolbar configuration every chart shares: no Plotly logo, nothing that sends data to Plotly's cloud."""
from __future__ import annotations

from ..figures.common import CLOUD_BUTTONS

GRAPH_CONFIG = {
    "displaylogo": False,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "showLink": False,
    "sendData": False,
    "plotlyServerURL": "",  # plotly.js 4 would otherwise upload to cloud.plotly.com
    "modeBarButtonsToRemove": CLOUD_BUTTONS,  # also wins over a figure's layout.modebar.add
}
