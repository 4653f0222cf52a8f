"""Settings of the benchmark server: the app's own settings plus the bench-only comparison endpoints."""

from medallion.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
