"""Red-team finding 10: a new API token is shown on the page, never put in the messages cookie."""

import pytest
from asgiref.sync import sync_to_async

from medallion.models import ApiToken, hash_token
from medallion.roles import grant_role

pytestmark = pytest.mark.django_db(transaction=True)


async def test_new_token_is_shown_once_without_a_cookie(admin_client):
    await sync_to_async(grant_role)(admin_client.user, "admin")
    response = await admin_client.post(
        "/django-admin/medallion/apitoken/add/", {"user": admin_client.user.pk, "name": "nightly"}
    )
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    raw = page.split('<code class="api-token">', 1)[1].split("</code>", 1)[0]
    assert raw.startswith("mdl_")
    token = await sync_to_async(ApiToken.objects.get)(key_hash=hash_token(raw))
    assert token.name == "nightly"
    assert all(raw not in morsel.value for morsel in response.cookies.values())
    assert all(raw not in morsel.value for morsel in admin_client.cookies.values())
    assert "no-store" in response["Cache-Control"]
    listed = await admin_client.get("/django-admin/medallion/apitoken/")
    assert raw not in listed.content.decode()
    bearer = await admin_client.get("/api/user/current", headers={"Authorization": f"Bearer {raw}"})
    assert bearer.status_code == 200
