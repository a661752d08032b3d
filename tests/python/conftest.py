"""Shared fixtures: the LSST scenario of the notebook and Gaussian PSF stamps."""

from __future__ import annotations

import numpy as np
import pytest

from scenarios import lsst_pair
from zogy.simulate import gaussian_psf


@pytest.fixture(scope="session")
def pair0():
    return lsst_pair(0)


@pytest.fixture
def gauss():
    return gaussian_psf


@pytest.fixture
def white_noise():
    def make(shape, sigma, seed):
        return np.random.default_rng(seed).normal(0.0, sigma, shape)

    return make
