def test_register_create_team_and_task_end_to_end(client, app):
    r = client.post("/register", data={"email": "ana@example.com", "name": "Ana", "password": "secret-pass",
                                        "confirm": "secret-pass", "timezone": "Europe/Lisbon"})
    assert r.status_code == 302
    r = client.post("/teams", data={"name": "Payments"}, follow_redirects=True)
    assert r.status_code == 200 and "Payments" in r.get_data(as_text=True)
    r = client.get("/teams/1/tasks/new")
    assert r.status_code == 200
    r = client.post("/teams/1/tasks/new", data={"title": "Add idempotency keys", "category": "server-code",
                                                 "status": "todo", "priority": "high", "due_date": "2026-12-01",
                                                 "assignee_id": "1", "labels": "billing, q4", "blocked_by": ""})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Add idempotency keys" in page and "billing" in page
    listing = client.get("/teams/1/tasks?status=open&label=billing").get_data(as_text=True)
    assert "Add idempotency keys" in listing
