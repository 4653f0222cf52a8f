import os
import tempfile

os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="medallion-test-")
os.environ.setdefault("SECRET_KEY", "test-secret-key")
os.environ["DEBUG"] = "false"
os.environ.setdefault("CACHE_URL", "locmemcache://tests")
os.environ.setdefault("WAREHOUSE_POOL_SIZE", "4")
os.environ.setdefault("WORKER_POLL_SECONDS", "0.2")
os.environ.pop("WAREHOUSE_URL", None)
os.environ.pop("DATABASE_URL", None)

from medallion.settings import *  # noqa: F403

WAREHOUSE_URL = f"duckdb:///{DATA_DIR / 'warehouse'}"  # noqa: F405
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "django.sqlite3")}}  # noqa: F405
CACHES = {"default": env.cache_url("CACHE_URL")}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
