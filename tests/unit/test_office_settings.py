"""The settings registry: defaults, storage form, and one field per setting."""

from types import SimpleNamespace

from lotsen.offices import settings


def test_every_setting_has_a_unique_key_and_a_default_in_range():
    keys = [s.key for s in settings.SETTINGS]
    assert len(keys) == len(set(keys))
    for setting in settings.SETTINGS:
        if setting.kind == "int":
            assert setting.minimum <= setting.default <= setting.maximum, setting.key


def test_stored_values_win_over_defaults():
    office = SimpleNamespace(settings={"max_duration_minutes": 120, "federal_state": "HE"})
    assert settings.value(office, "max_duration_minutes") == 120
    assert settings.value(office, "federal_state") == "HE"
    assert settings.value(office, "late_cancellation_hours") == 24


def test_values_are_normalised_for_storage():
    assert settings.to_storable("reminder_hours_before", [2, 24, 2, 48]) == [48, 24, 2]
    assert settings.to_storable("excluded_settings", ["therapy", "court"]) == ["court", "therapy"]
