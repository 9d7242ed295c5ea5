"""Rate overrides from the command line."""

from __future__ import annotations

import pytest

from casereview.errors import ConfigError
from casereview.synth import FailureRates, NoiseRates, SynthConfig, parse_overrides


def test_overrides_change_only_the_named_rates() -> None:
    rates = parse_overrides(NoiseRates(), "typo=0.1, missing_dob=0", "--noise")
    assert rates == NoiseRates(typo=0.1, missing_dob=0.0)
    assert parse_overrides(FailureRates(), None, "--failures") == FailureRates()
    assert parse_overrides(NoiseRates(), "none", "--noise") == NoiseRates.none()
    assert parse_overrides(NoiseRates(), "none,typo=0.2", "--noise") == NoiseRates.none().__class__(
        **{**{f: 0.0 for f in NoiseRates.__dataclass_fields__}, "typo": 0.2}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("typo", "--noise: expected name=value, got 'typo'"),
        ("tpyo=0.1", "--noise: unknown rate 'tpyo'"),
        ("typo=lots", "--noise: typo must be a number, got 'lots'"),
        ("typo=1.5", "--noise: typo must be between 0 and 1, got 1.5"),
    ],
)
def test_bad_overrides_name_the_option_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_overrides(NoiseRates(), text, "--noise")
    assert str(info.value).startswith(message)


def test_config_rejects_impossible_sizes() -> None:
    with pytest.raises(ConfigError, match="--cases must be at least 1"):
        SynthConfig(cases=0)
    with pytest.raises(ConfigError, match="--seed must be zero or positive"):
        SynthConfig(seed=-1)
