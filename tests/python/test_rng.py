"""The counter-based generator against numpy, published vectors and an independent oracle."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from zogy import reference, rng

DATA = Path(__file__).parent.parent / "data"
WORD = 2**64


@pytest.mark.parametrize(
    ("key", "counter"),
    [
        (0, 0),
        (12345, 0),
        (2**128 - 1, 2**256 - 1),  # counter wraps to 0 on the first block
        (0xDEADBEEF << 64 | 7, 2**64 - 2),  # carry from word 0 into word 1
        (3, (2**192 - 1)),  # carry through three words
    ],
)
def test_raw_equals_numpy_philox(key, counter):
    expected = np.random.Philox(key=key, counter=counter).random_raw(23)
    assert np.array_equal(rng.raw(key, counter, 23), expected)


def test_raw_random_keys_and_counters():
    draw = np.random.default_rng(5)
    for _ in range(50):
        key = int(draw.integers(0, 2**63)) << 65 | int(draw.integers(0, 2**63))
        counter = int(draw.integers(0, 2**63)) << 130 | int(draw.integers(0, 2**63))
        expected = np.random.Philox(key=key, counter=counter).random_raw(9)
        assert np.array_equal(rng.raw(key, counter, 9), expected)


def test_random123_known_answers_through_numpy_convention():
    # Random123 kat_vectors, philox4x64 R=10: block at counter c is raw output at counter c - 1.
    words = (0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89)
    counter = sum(w << (64 * i) for i, w in enumerate(words))
    key = 0x452821E638D01377 + (0xBE5466CF34E90C6C << 64)
    out = rng.raw(key, counter - 1, 4)
    expected = [0xA528F45403E61D95, 0x38C72DBD566E9788, 0xA5A1610E72FD18B5, 0x57BD43B5E52B7FE6]
    assert [int(v) for v in out] == expected


def test_normal_is_box_muller_of_the_raw_words():
    key, counter, n = 77 + (5 << 64), 1000, 4000
    z = rng.normal(key, counter, n)
    for i in range(0, n, 97):
        w0, w1 = (int(v) for v in np.random.Philox(key=key, counter=counter + i).random_raw(2))
        u1 = ((w0 >> 12) + 0.5) * 2.0**-52
        u2 = ((w1 >> 12) + 0.5) * 2.0**-52
        exact = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        assert z[i] == pytest.approx(exact, rel=1e-13, abs=1e-14)


def test_normal_matches_the_pure_python_oracle_bit_for_bit():
    key, counter = 2024 + (99 << 64), 2**64 - 50  # crosses a carry
    n = 300
    raw = np.array(
        [np.random.Philox(key=key, counter=counter + i).random_raw(2) for i in range(n)]
    )
    expected = reference.normal_from_words(raw[:, 0], raw[:, 1])
    assert np.array_equal(rng.normal(key, counter, n), expected)


def test_normal_known_answers():
    """Deviates pinned in tests/data (written by zogy.reference, the pure-Python oracle).

    They hold on every IEEE-754 machine: the deviates use + - * / sqrt only.
    """
    lines = (DATA / "normal_known_answers.txt").read_text().splitlines()
    table = [line.split() for line in lines if line and not line.startswith("#")]
    assert len(table) == 300
    for key_s, counter_s, hex_value in table:
        value = float.fromhex(hex_value)
        assert rng.normal(int(key_s, 0), int(counter_s, 0), 1)[0] == value


def test_pixel_counter_two_complement():
    assert rng.pixel_counter(0, 0) == 0
    assert rng.pixel_counter(-1, 3) == 3 + ((WORD - 1) << 64)
    assert rng.pixel_counter(2, -2) == (WORD - 2) + (2 << 64)


def test_padding_key_and_argument_checks():
    assert rng.padding_key(5, 9) == 5 + (9 << 64)
    with pytest.raises(ValueError, match="seed"):
        rng.padding_key(-1, 0)
    with pytest.raises(ValueError, match="key"):
        rng.raw(2**128, 0, 1)
    with pytest.raises(TypeError, match="counter"):
        rng.raw(0, 1.5, 1)


def test_digest_matches_oracle_and_changes_with_content():
    image = np.arange(20.0).reshape(4, 5)
    image[1, 1] = np.nan
    variance = np.full((4, 5), 2.5)
    d = rng.digest(image, variance)
    assert d == reference.digest(image, variance)
    assert rng.digest(image) == reference.digest(image, None)
    assert rng.digest(image, 2.5) == d  # a scalar is its constant plane
    assert rng.digest(image) != d
    other = image.copy()
    other[3, 4] += 1e-12
    assert rng.digest(other, variance) != d
    assert rng.digest(image.reshape(5, 4), 2.5) != d
    assert rng.digest(image, 2.5000000001) != d
