import asyncio
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

from medallion.clock import utc_now
from medallion.task_registry import TASKS, register_task
from medallion.warehouse import warehouse
from ops import scheduler, tasks

pytestmark = pytest.mark.django_db(transaction=True)

INJECTION = "X'; DROP TABLE OPS.TASKS; --"


@pytest.fixture
async def chain():
    suffix = uuid.uuid4().hex[:8].upper()
    root, child, grandchild = f"ROOT_{suffix}", f"CHILD_{suffix}", f"GRANDCHILD_{suffix}"
    calls: list[str] = []
    failing: set[str] = set()

    def runner(name: str, processed: int):
        async def run() -> dict[str, object]:
            calls.append(name)
            await asyncio.sleep(0.02)
            if name in failing:
                raise RuntimeError(f"{name} broke")
            return {"records_processed": processed, "records_failed": 0, "files_seen": 7}

        return run

    register_task(root, layer="BRONZE", run=runner(root, 3), description="root job", schedule="60 MINUTE")
    register_task(child, layer="BRONZE", run=runner(child, 2), description="child job", predecessors=(root,))
    register_task(grandchild, layer="BRONZE", run=runner(grandchild, 1), description="last", predecessors=(child,))
    await tasks.ensure_tasks()
    yield SimpleNamespace(root=root, child=child, grandchild=grandchild, calls=calls, failing=failing)
    for name in (root, child, grandchild):
        TASKS.pop(name, None)


async def _make_due(name: str) -> None:
    await warehouse().execute(
        "UPDATE OPS.TASKS SET NEXT_RUN_AT = ? WHERE NAME = ?", (utc_now() - timedelta(minutes=1), name)
    )


async def _runs(name: str) -> list[dict[str, object]]:
    return await warehouse().fetch_all(
        "SELECT EXECUTION_STATUS, RECORDS_PROCESSED, EXECUTION_DURATION_MS, ERROR_MESSAGE, TRIGGERED_BY "
        "FROM OPS.TASK_EXECUTION_LOG WHERE TASK_NAME = ? ORDER BY EXECUTION_ID",
        (name,),
    )


async def _task(client, name: str, layer: str = "bronze") -> dict[str, object]:
    listed = (await client.get(f"/api/{layer}/tasks")).json()
    return next(t for t in listed if t["name"] == name)


async def test_list_has_the_task_shape(viewer_client, chain):
    response = await viewer_client.get("/api/bronze/tasks")
    assert response.status_code == 200
    listed = response.json()
    assert [t["name"] for t in listed] == sorted(t["name"] for t in listed)
    root = next(t for t in listed if t["name"] == chain.root)
    child = next(t for t in listed if t["name"] == chain.child)
    assert root["state"] == "started" and root["schedule"] == "60 MINUTE" and root["predecessors"] == ""
    assert root["definition"] == "root job" and root["next_run_at"].endswith("Z")
    assert child["schedule"] is None and child["predecessors"] == chain.root and child["next_run_at"] is None
    for key in ("comment", "warehouse", "created_on", "last_committed_on", "last_suspended_on"):
        assert key in root
    assert all(t["name"] != chain.root for t in (await viewer_client.get("/api/silver/tasks")).json())
    assert (await viewer_client.get("/api/gold/tasks")).status_code == 200


async def test_a_due_task_runs_once_across_two_workers(chain):
    await _make_due(chain.root)
    results = await asyncio.gather(scheduler.run_due_tasks(), scheduler.run_due_tasks())
    assert True in results
    assert chain.calls == [chain.root, chain.child, chain.grandchild]
    runs = await _runs(chain.root)
    assert [r["EXECUTION_STATUS"] for r in runs] == ["SUCCESS"]
    assert runs[0]["RECORDS_PROCESSED"] == 3 and runs[0]["EXECUTION_DURATION_MS"] >= 0
    assert runs[0]["TRIGGERED_BY"] == "scheduler"
    row = (await tasks.task_rows([chain.root]))[0]
    assert row["NEXT_RUN_AT"] > utc_now() + timedelta(minutes=59)
    assert row["CLAIMED_BY"] is None and row["LAST_RUN_STATUS"] == "SUCCESS"
    await scheduler.run_due_tasks()
    assert chain.calls.count(chain.root) == 1


async def test_concurrent_claims_have_one_winner(chain):
    await _make_due(chain.root)
    (row,) = await tasks.task_rows([chain.root])
    tokens = await asyncio.gather(
        *(scheduler.claim_due(chain.root, row["NEXT_RUN_AT"], row["SCHEDULE"]) for _ in range(4))
    )
    assert sum(token is not None for token in tokens) == 1
    assert await scheduler.claim_now(chain.root) is None


async def test_a_failed_root_stops_the_chain_and_is_recorded(chain):
    chain.failing.add(chain.root)
    await _make_due(chain.root)
    assert await scheduler.run_due_tasks() is True
    assert chain.calls == [chain.root]
    (run,) = await _runs(chain.root)
    assert run["EXECUTION_STATUS"] == "FAILED" and "broke" in run["ERROR_MESSAGE"]
    assert await _runs(chain.child) == []


async def test_suspended_tasks_do_not_run(admin_client, chain):
    response = await admin_client.post(f"/api/bronze/tasks/{chain.child.lower()}/suspend")
    assert response.json() == {"message": f"Task {chain.child} suspended successfully"}
    await _make_due(chain.root)
    await scheduler.run_due_tasks()
    assert chain.calls == [chain.root]

    await admin_client.post(f"/api/bronze/tasks/{chain.root}/suspend")
    await _make_due(chain.root)
    assert chain.root not in [
        r["NAME"]
        for r in await warehouse().fetch_all(
            "SELECT NAME FROM OPS.TASKS WHERE STATE = 'started' AND NAME = ?", (chain.root,)
        )
    ]
    await scheduler.run_due_tasks()
    assert chain.calls == [chain.root]


async def test_resuming_a_root_resumes_its_dependents(admin_client, chain):
    for name in (chain.root, chain.child, chain.grandchild):
        assert (await admin_client.post(f"/api/bronze/tasks/{name}/suspend")).status_code == 200
    assert (await _task(admin_client, chain.grandchild))["state"] == "suspended"
    assert (await _task(admin_client, chain.root))["last_suspended_on"] is not None

    response = await admin_client.post(f"/api/bronze/tasks/{chain.root.lower()}/resume")
    assert response.status_code == 200
    assert response.json() == {"message": f"Task {chain.root} resumed successfully"}
    for name in (chain.root, chain.child, chain.grandchild):
        assert (await _task(admin_client, name))["state"] == "started"
    again = await admin_client.post(f"/api/bronze/tasks/{chain.root}/resume")
    assert again.status_code == 200

    await admin_client.post(f"/api/bronze/tasks/{chain.child}/suspend")
    await admin_client.post(f"/api/bronze/tasks/{chain.grandchild}/suspend")
    await admin_client.post(f"/api/bronze/tasks/{chain.child}/resume")
    assert (await _task(admin_client, chain.child))["state"] == "started"
    assert (await _task(admin_client, chain.grandchild))["state"] == "suspended"

    audit = await warehouse().fetch_all(
        "SELECT ACTION, USER_NAME FROM OPS.AUDIT_LOG WHERE ENTITY_TYPE = 'TASK' AND ENTITY_ID = ? ORDER BY AUDIT_ID",
        (chain.grandchild,),
    )
    assert [a["ACTION"] for a in audit] == ["SUSPEND", "RESUME", "SUSPEND"]
    assert {a["USER_NAME"] for a in audit} == {admin_client.user.username}


async def test_schedule_change_keeps_the_previous_state(admin_client, chain):
    url = f"/api/bronze/tasks/{chain.root}/schedule"
    response = await admin_client.put(url, {"schedule": "5 minutes"}, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {
        "message": f"Task {chain.root} schedule updated successfully",
        "new_schedule": "5 MINUTE",
    }
    task = await _task(admin_client, chain.root)
    assert task["schedule"] == "5 MINUTE" and task["state"] == "started"

    await admin_client.post(f"/api/bronze/tasks/{chain.root}/suspend")
    cron = "USING CRON 0 2 * * * America/New_York"
    response = await admin_client.put(url, {"schedule": cron}, content_type="application/json")
    assert response.json()["new_schedule"] == cron
    task = await _task(admin_client, chain.root)
    assert task["schedule"] == cron and task["state"] == "suspended"

    audit = await warehouse().fetch_all(
        "SELECT BEFORE_VALUE, AFTER_VALUE FROM OPS.AUDIT_LOG WHERE ACTION = 'UPDATE_SCHEDULE' AND ENTITY_ID = ? "
        "ORDER BY AUDIT_ID",
        (chain.root,),
    )
    assert len(audit) == 2 and "5 MINUTE" in audit[0]["AFTER_VALUE"] and "60 MINUTE" in audit[0]["BEFORE_VALUE"]


@pytest.mark.parametrize(
    "schedule",
    [
        "",
        "0 MINUTE",
        "11521 MINUTE",
        "every hour",
        "USING CRON 61 * * * * UTC",
        "USING CRON 0 2 * * * Mars/Base",
        "USING CRON 0 2 * * UTC",
        "5 MINUTE; DROP TABLE OPS.TASKS",
        None,
        5,
        ["5 MINUTE"],
    ],
)
async def test_bad_schedules_are_422(admin_client, chain, schedule):
    response = await admin_client.put(
        f"/api/bronze/tasks/{chain.root}/schedule", {"schedule": schedule}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_schedule" and isinstance(body["detail"], str)
    assert body["errors"][0]["field"] == "schedule"
    assert (await _task(admin_client, chain.root))["schedule"] == "60 MINUTE"


async def test_dependents_refuse_schedule_changes(admin_client, chain):
    response = await admin_client.put(
        f"/api/bronze/tasks/{chain.child}/schedule", {"schedule": "5 MINUTE"}, content_type="application/json"
    )
    assert response.status_code == 409 and response.json()["code"] == "task_has_predecessors"


@pytest.mark.parametrize("name", ["NO_SUCH_TASK", INJECTION, "%25", "ROOT_"])
async def test_unknown_tasks_are_404(admin_client, chain, name):
    for method, suffix in (("post", "resume"), ("post", "suspend")):
        response = await getattr(admin_client, method)(f"/api/bronze/tasks/{name}/{suffix}")
        assert response.status_code == 404 and response.json()["code"] == "task_not_found"
    response = await admin_client.put(
        f"/api/bronze/tasks/{name}/schedule", {"schedule": "5 MINUTE"}, content_type="application/json"
    )
    assert response.status_code == 404


async def test_tasks_are_matched_within_their_layer(admin_client, chain):
    response = await admin_client.post(f"/api/silver/tasks/{chain.root}/suspend")
    assert response.status_code == 404 and response.json()["code"] == "task_not_found"
    response = await admin_client.post(f"/api/gold/tasks/{chain.root}/resume")
    assert response.status_code == 404


async def test_task_actions_need_admin(operator_client, viewer_client, anonymous_client, chain):
    for client, status in ((operator_client, 403), (viewer_client, 403), (anonymous_client, 401)):
        assert (await client.post(f"/api/bronze/tasks/{chain.root}/suspend")).status_code == status
        assert (await client.post(f"/api/admin/tasks/{chain.root}/run")).status_code == status
        response = await client.put(
            f"/api/bronze/tasks/{chain.root}/schedule", {"schedule": "5 MINUTE"}, content_type="application/json"
        )
        assert response.status_code == status
    assert (await anonymous_client.get("/api/bronze/tasks")).status_code == 401
    assert (await _task(viewer_client, chain.root))["state"] == "started"


async def _wait_for_runs(name: str, count: int) -> list[dict[str, object]]:
    for _ in range(200):
        runs = await _runs(name)
        if len(runs) >= count and all(r["EXECUTION_STATUS"] != "RUNNING" for r in runs):
            return runs
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} did not finish")


async def test_run_now_runs_the_chain_through_the_same_claim(admin_client, chain):
    await admin_client.post(f"/api/bronze/tasks/{chain.root}/suspend")
    response = await admin_client.post(f"/api/admin/tasks/{chain.root.lower()}/run")
    assert response.status_code == 202 and response.json()["task_name"] == chain.root
    second = await admin_client.post(f"/api/admin/tasks/{chain.root}/run")
    assert second.status_code == 409 and second.json()["code"] == "operation_in_progress"
    (run,) = await _wait_for_runs(chain.root, 1)
    assert run["TRIGGERED_BY"] == admin_client.user.username
    await _wait_for_runs(chain.grandchild, 1)
    assert chain.calls == [chain.root, chain.child, chain.grandchild]
    assert (await admin_client.post(f"/api/admin/tasks/{INJECTION}/run")).status_code == 404

    logs = (await admin_client.get(f"/api/logs/tasks?task_name={chain.root.lower()}")).json()
    assert [r["EXECUTION_STATUS"] for r in logs] == ["SUCCESS"]
    assert logs[0]["EXECUTION_DETAILS"] == {"files_seen": 7}
