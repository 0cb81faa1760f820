"""The trail verification endpoint answers staff only."""


def test_trail_verification_is_for_staff_only(auditor_client, anonymous_client, outsider_client):
    assert auditor_client.get("/api/v1/trail/verify/").status_code == 403
    assert anonymous_client.get("/api/v1/trail/verify/").status_code in (401, 403)
    assert outsider_client.get("/api/v1/trail/verify/").status_code == 403
