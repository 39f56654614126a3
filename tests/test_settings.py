"""Settings from HELIOS_* variables: limits parsed, bad values named in one sentence."""
from __future__ import annotations

import pytest

from helios_dash.errors import ConfigurationError
from helios_dash.settings import Settings


def test_limits_come_from_the_environment():
    settings = Settings.from_env({"HELIOS_MAX_BODY_BYTES": "4096", "HELIOS_HEAVY_EXPORTS": "2",
                                  "HELIOS_HEAVY_EXPORT_QUEUE": "0", "HELIOS_HEAVY_EXPORT_WAIT": "2.5"})
    assert (settings.max_body_bytes, settings.heavy_exports, settings.heavy_export_queue,
            settings.heavy_export_wait) == (4096, 2, 0, 2.5)
    assert Settings.from_env({}) == Settings()


@pytest.mark.parametrize("name, value", [("HELIOS_HEAVY_EXPORTS", "0"), ("HELIOS_HEAVY_EXPORTS", "two"),
                                         ("HELIOS_MAX_BODY_BYTES", "1.5"), ("HELIOS_POLL_SECONDS", "nan"),
                                         ("HELIOS_HEAVY_EXPORT_QUEUE", "-1")])
def test_a_bad_value_is_named(name, value):
    with pytest.raises(ConfigurationError) as error:
        Settings.from_env({name: value})
    assert error.value.message.startswith(f"{name} must be") and repr(value) in error.value.message
