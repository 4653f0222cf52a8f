import pytest

from medallion.warehouse import warehouse

pytestmark = pytest.mark.django_db(transaction=True)


async def test_create_list_update_status_delete(admin_client, unique_code):
    response = await admin_client.post(
        "/api/tpas", {"tpa_code": unique_code.lower(), "tpa_name": "Provider A"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json() == {"message": "TPA created successfully", "tpa_code": unique_code}

    listed = (await admin_client.get("/api/tpas")).json()
    row = next(t for t in listed if t["TPA_CODE"] == unique_code)
    assert row["TPA_NAME"] == "Provider A" and row["ACTIVE"] is True
    assert row["CREATED_TIMESTAMP"].endswith("Z")

    response = await admin_client.put(
        f"/api/tpas/{unique_code.lower()}",
        {"tpa_name": "Renamed", "tpa_code": unique_code, "extra": 1},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["tables_renamed"] == 0

    response = await admin_client.patch(
        f"/api/tpas/{unique_code}/status", {"active": False}, content_type="application/json"
    )
    assert response.json() == {"message": "TPA deactivated successfully", "tpa_code": unique_code, "active": False}
    inactive = (await admin_client.get("/api/tpas?active=false")).json()
    assert [t["TPA_NAME"] for t in inactive if t["TPA_CODE"] == unique_code] == ["Renamed"]

    response = await admin_client.delete(f"/api/tpas/{unique_code}")
    assert response.status_code == 200 and response.json()["tpa_code"] == unique_code
    assert await warehouse().fetch_all("SELECT * FROM BRONZE.TPA_MASTER WHERE TPA_CODE = ?", (unique_code,)) == []
    audit = await warehouse().fetch_all(
        "SELECT ACTION FROM OPS.AUDIT_LOG WHERE ENTITY_ID = ? ORDER BY AUDIT_ID", (unique_code,)
    )
    assert [a["ACTION"] for a in audit] == ["CREATE", "UPDATE", "UPDATE", "DELETE"]


async def test_duplicate_code_conflicts_case_insensitively(admin_client, tpa):
    response = await admin_client.post(
        "/api/tpas", {"tpa_code": tpa.lower(), "tpa_name": "Again"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "tpa_exists"


@pytest.mark.parametrize("code", ["", "A-B", "x" * 51, "a b", "'; DROP TABLE BRONZE.TPA_MASTER; --", None, 12])
async def test_invalid_codes_are_refused(admin_client, code):
    response = await admin_client.post(
        "/api/tpas", {"tpa_code": code, "tpa_name": "X"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)
    assert await warehouse().fetch_value("SELECT COUNT(*) FROM BRONZE.TPA_MASTER") is not None


async def test_code_is_immutable_and_unknown_is_404(admin_client, tpa):
    response = await admin_client.put(f"/api/tpas/{tpa}", {"tpa_code": "OTHER"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["code"] == "tpa_code_immutable"
    response = await admin_client.put("/api/tpas/NOPE_NOT_HERE", {"tpa_name": "x"}, content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "tpa_not_found"


async def test_roles(viewer_client, operator_client, anonymous_client, tpa):
    assert (await anonymous_client.get("/api/tpas")).status_code == 401
    assert (await viewer_client.get("/api/tpas")).status_code == 200
    response = await operator_client.post(
        "/api/tpas", {"tpa_code": "NEW1", "tpa_name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


async def test_active_first_order(admin_client, unique_code):
    from tpa.services import create_tpa, list_tpas

    await create_tpa(unique_code + "_OLD", "old inactive", active=False)
    await create_tpa(unique_code + "_NEW", "new active")
    rows = await list_tpas()
    actives = [r["ACTIVE"] for r in rows]
    assert actives == sorted(actives, reverse=True)


async def test_manage_page(admin_client, tpa):
    response = await admin_client.get("/operations/tpas")
    assert response.status_code == 200
    assert tpa in response.content.decode()


async def test_each_page_action_has_its_own_url(admin_client, tpa):
    assert (await admin_client.get(f"/operations/tpas/{tpa}/deactivate")).status_code == 405
    response = await admin_client.post(f"/operations/tpas/{tpa}/deactivate")
    assert response.status_code == 302 and response["Location"] == "/operations/tpas"
    response = await admin_client.post(f"/operations/tpas/{tpa}/edit", {"tpa_name": "  Renamed  "})
    row = next(t for t in (await admin_client.get("/api/tpas")).json() if t["TPA_CODE"] == tpa)
    assert (row["ACTIVE"], row["TPA_NAME"]) == (False, "Renamed")
    response = await admin_client.post(f"/operations/tpas/{tpa}/delete", {"confirm": "wrong"}, follow=True)
    assert "Type the TPA code to confirm the deletion." in response.content.decode()
    page = (await admin_client.get("/operations/tpas")).content.decode()
    assert f'action="/operations/tpas/{tpa}/activate"' in page and 'maxlength="200"' in page
