"""Red-team finding 2: sign-in is throttled per account and per client address, on the site and the Django admin,
with a clear message and an audit entry for every outcome."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import AsyncClient

from medallion.warehouse import warehouse

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-horse-42"


def _user(**extra: object):
    return get_user_model().objects.create_user(f"login-{uuid.uuid4().hex[:8]}", password=PASSWORD, **extra)


class ClientAt(AsyncClient):
    """A test client whose requests come from `address`."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def _base_scope(self, **request: object) -> dict[str, object]:
        return {**super()._base_scope(**request), "client": [self.address, 0]}


async def _sign_in(path: str, username: str, password: str, address: str) -> tuple[AsyncClient, object]:
    client = ClientAt(address)
    response = await client.post(path, {"username": username, "password": password})
    return client, response


async def _audit_actions(username: str) -> list[str]:
    rows = await warehouse().fetch_all(
        "SELECT ACTION, REQUEST_ID FROM OPS.AUDIT_LOG WHERE LOWER(USER_NAME) = LOWER(?) ORDER BY AUDIT_ID", (username,)
    )
    assert all(row["REQUEST_ID"] for row in rows), rows
    return [row["ACTION"] for row in rows]


async def test_wrong_passwords_lock_the_account_even_for_the_right_password():
    user = await sync_to_async(_user)()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        _, response = await _sign_in("/accounts/login", user.username, "wrong", "10.1.0.1")
        assert response.status_code == 200
    client, refused = await _sign_in("/accounts/login", user.username, PASSWORD, "10.1.0.1")
    assert refused.status_code == 429
    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert (await client.get("/api/user/current")).status_code == 401
    _, elsewhere = await _sign_in("/accounts/login", user.username.upper(), PASSWORD, "10.1.0.2")
    assert elsewhere.status_code == 429, "the account is locked whatever the address and the case"

    other = await sync_to_async(_user)()
    _, fine = await _sign_in("/accounts/login", other.username, PASSWORD, "10.1.0.1")
    assert fine.status_code == 302
    actions = await _audit_actions(user.username)
    assert actions.count("LOGIN_FAILED") == settings.LOGIN_FAILURES_PER_ACCOUNT
    assert actions.count("LOGIN_LOCKED_OUT") == 2
    assert await _audit_actions(other.username) == ["LOGIN"]


async def test_one_address_trying_many_accounts_is_locked_out():
    for _ in range(settings.LOGIN_FAILURES_PER_ADDRESS):
        await _sign_in("/accounts/login", f"guess-{uuid.uuid4().hex[:6]}", "wrong", "10.2.0.1")
    user = await sync_to_async(_user)()
    _, refused = await _sign_in("/accounts/login", user.username, PASSWORD, "10.2.0.1")
    assert refused.status_code == 429
    _, other_address = await _sign_in("/accounts/login", user.username, PASSWORD, "10.2.0.2")
    assert other_address.status_code == 302


async def test_success_clears_the_account_count():
    user = await sync_to_async(_user)()
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT - 1):
        await _sign_in("/accounts/login", user.username, "wrong", "10.3.0.1")
    assert (await _sign_in("/accounts/login", user.username, PASSWORD, "10.3.0.1"))[1].status_code == 302
    await _sign_in("/accounts/login", user.username, "wrong", "10.3.0.1")
    assert (await _sign_in("/accounts/login", user.username, PASSWORD, "10.3.0.1"))[1].status_code == 302


async def test_django_admin_login_is_throttled_too():
    admin = await sync_to_async(_user)(is_staff=True, is_superuser=True)
    for _ in range(settings.LOGIN_FAILURES_PER_ACCOUNT):
        await _sign_in("/django-admin/login/", admin.username, "wrong", "10.4.0.1")
    client, refused = await _sign_in("/django-admin/login/", admin.username, PASSWORD, "10.4.0.1")
    assert refused.status_code == 200 and "Too many failed sign-in attempts" in refused.content.decode()
    assert (await client.get("/django-admin/")).status_code == 302
    assert "LOGIN_LOCKED_OUT" in await _audit_actions(admin.username)


async def test_logout_is_audited():
    user = await sync_to_async(_user)()
    client, response = await _sign_in("/accounts/login", user.username, PASSWORD, "10.5.0.1")
    assert response.status_code == 302
    assert (await client.post("/accounts/logout")).status_code == 302
    assert await _audit_actions(user.username) == ["LOGIN", "LOGOUT"]
