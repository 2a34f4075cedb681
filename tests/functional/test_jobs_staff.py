"""The staff page of background jobs (/staff/jobs): the list and its filters, one job,
retrying a failed job, cancelling a queued one, and who may see and do what."""
import json
import re

import pytest

from ils.jobs import kinds
from ils.jobs.models import Job
from ils.jobs.runner import bookkeeping, run_job
from tests.conftest import csrf_token, sign_in
from tests.digitization_support import corrupt_pdf, job_row, make_item, run_queued

ROLES = {"quanly": dict(roles=["Manager"]),
         "quantri-bmt": dict(site_roles=[("bmt", "SiteAdmin")]),
         "thuthu-bmt": dict(site_roles=[("bmt", "Librarian")]),
         "thuthu-th": dict(site_roles=[("tuy-hoa", "Librarian")]),
         "bandoc": dict(roles=["Reader"])}


def add_job(app, kind="works", site="bmt", target="", status="queued", **values):
    with bookkeeping(app.registry) as s:
        job = Job(kind=kind, target=target, site=site, status=status,
                  progress=values.pop("progress", 0),
                  message_vi=values.pop("message_vi", "Đang chờ trong hàng đợi."),
                  message_en=values.pop("message_en", "Waiting in the queue."),
                  warnings_json=values.pop("warnings_json", "[]"),
                  params_json=json.dumps(values.pop("params", {})),
                  attempts=values.pop("attempts", 0), max_attempts=values.pop("max_attempts", 3),
                  worker=values.pop("worker", ""), created_by="", **values)
        s.add(job)
        s.flush()
        return job.id


def listed(page):
    """The job ids of the table, in order."""
    return [int(n) for n in re.findall(r'<tr data-job="(\d+)"', page.text)]


def pending(app):
    """The job ids waiting in the task queue (what ``hand_over`` put there)."""
    return [task.args[0] for task in app.registry["jobs.huey"].pending()]


@pytest.fixture
def world(app, portal, make_user):
    """Both sites, a digital item in bmt, the staff of each site, a reader, and one job of
    each kind: a queued bmt job on the item, a failed tuy-hoa job, a periodic (global) job."""
    uid, name = make_item(portal)
    for login, roles in ROLES.items():
        make_user(login, **roles)
    ran = []
    kinds(app.registry)["works"] = lambda ctx: ran.append(ctx.job_id)
    jobs = {"bmt": add_job(app, "digitize", site="bmt", target=uid, params={"batch": "b1"}),
            "tuy-hoa": add_job(app, "works", site="tuy-hoa", target="x", status="failed",
                               message_vi="Tệp hỏng ở Tuy Hòa", message_en="Damaged in Tuy Hoa",
                               attempts=3),
            "global": add_job(app, "periodic", site="", target="fixity", status="done",
                              params={"name": "fixity"}, progress=100, max_attempts=1,
                              message_vi="Đã kiểm tra 12 bản gốc", message_en="12 masters checked")}
    return {"uid": uid, "url": f"/bmt/so-hoa/{name}/", "jobs": jobs, "ran": ran}


def test_the_list_shows_every_job_newest_first_in_vietnamese_then_english(app, testapp, world):
    sign_in(testapp, "quanly")
    assert "/staff/jobs" in testapp.get("/workspace").text          # linked from the workspace
    page = testapp.get("/staff/jobs")
    jobs = world["jobs"]
    assert listed(page) == [jobs["global"], jobs["tuy-hoa"], jobs["bmt"]]
    text = page.text
    assert "Công việc nền" in text and "Số hóa và nhận dạng chữ (OCR)" in text
    assert "Kiểm tra toàn vẹn bản gốc" in text                     # the periodic job by name
    assert "Đang chờ" in text and "Thất bại" in text and "Tệp hỏng ở Tuy Hòa" in text
    assert "3/3" in text and "Cơ sở Tuy Hòa" in text
    assert f'href="http://localhost{world["url"]}"' in text          # the item is linked
    assert ">Bản quét thử</a>" in text
    testapp.set_cookie("serepok_lang", "en")
    text = testapp.get("/staff/jobs").text
    assert "Background jobs" in text and "Damaged in Tuy Hoa" in text and "Failed" in text


def test_filters_stay_in_the_address_and_a_bad_one_is_said(app, testapp, world):
    sign_in(testapp, "quanly")
    jobs = world["jobs"]
    page = testapp.get("/staff/jobs", {"status": "failed"})
    assert listed(page) == [jobs["tuy-hoa"]]
    assert '<option value="failed" selected>' in page.text
    assert listed(testapp.get("/staff/jobs", {"kind": "digitize"})) == [jobs["bmt"]]
    assert listed(testapp.get("/staff/jobs", {"kind": "periodic:fixity"})) == [jobs["global"]]
    assert listed(testapp.get("/staff/jobs", {"site": "tuy-hoa"})) == [jobs["tuy-hoa"]]
    assert listed(testapp.get("/staff/jobs", {"site": "-"})) == [jobs["global"]]
    assert listed(testapp.get("/staff/jobs", {"site": "bmt", "status": "done"})) == []
    page = testapp.get("/staff/jobs", {"status": "exploded"})
    assert "không hợp lệ" in page.text and len(listed(page)) == 3


def test_the_list_is_paged_fifty_at_a_time_keeping_the_filters(app, testapp, world):
    for _ in range(55):
        add_job(app, "works", site="bmt", status="done")
    sign_in(testapp, "quanly")
    first = testapp.get("/staff/jobs", {"status": "done"})
    assert len(listed(first)) == 50 and "56 công việc" in first.text
    assert "status=done&amp;page=2" in first.text
    second = testapp.get("/staff/jobs", {"status": "done", "page": "2"})
    assert len(listed(second)) == 6 and world["jobs"]["global"] == listed(second)[-1]
    assert not set(listed(first)) & set(listed(second))


def test_the_detail_shows_params_warnings_message_and_times(app, testapp, world):
    job_id = add_job(app, "works", site="bmt", status="failed", params={"batch": "lô-7"},
                     warnings_json=json.dumps([["Trang 3 mờ", "Page 3 is blurred"]]),
                     message_vi="Không đọc được tệp thứ hai.", message_en="File 2 unreadable.",
                     worker="may-1:42:7")
    sign_in(testapp, "thuthu-bmt")
    page = testapp.get(f"/staff/jobs/{job_id}")
    for text in ("Công việc " + str(job_id), "lô-7", "Trang 3 mờ", "Không đọc được tệp thứ hai.",
                 "may-1:42:7", "UTC+7", "Thử lại"):
        assert text in page.text
    testapp.set_cookie("serepok_lang", "en")
    page = testapp.get(f"/staff/jobs/{job_id}")
    assert "Page 3 is blurred" in page.text and "File 2 unreadable." in page.text
    testapp.get("/staff/jobs/999999", status=404)
    testapp.get("/staff/jobs/abc", status=404)
    testapp.get("/staff/jobs/99999999999999", status=404)


def test_a_failed_digitization_is_retried_from_the_jobs_page(app, testapp, world):
    uid, url = world["uid"], world["url"]
    sign_in(testapp, "thuthu-bmt")
    # the queued job of the fixture is the item's: cancel it, then upload a damaged file
    token = csrf_token(testapp, f"/staff/jobs/{world['jobs']['bmt']}")
    testapp.post(f"/staff/jobs/{world['jobs']['bmt']}/cancel", {"csrf_token": token}, status=303)
    token = csrf_token(testapp, url + "digitize")
    testapp.post(url + "digitize", {"csrf_token": token},
                 upload_files=[("files", "sach.pdf", corrupt_pdf())], status=303)
    failed = max(run_queued(app))
    assert job_row(app, failed).status == "failed"
    page = testapp.get(f"/staff/jobs/{failed}")
    assert "Thử lại" in page.text
    token = csrf_token(testapp, f"/staff/jobs/{failed}")
    response = testapp.post(f"/staff/jobs/{failed}/retry", {"csrf_token": token}, status=303)
    new = int(response.location.rsplit("/", 1)[1])
    assert new > failed and new in pending(app)                   # handed over after commit
    again = job_row(app, new)
    assert (again.status, again.kind, again.target, again.site) == ("queued", "digitize", uid, "bmt")
    assert again.params == job_row(app, failed).params
    page = response.follow()
    assert f"Công việc {failed} đã được xếp hàng lại thành công việc {new}." in page.text
    assert job_row(app, failed).status == "failed"                # the old one stays as it was
    # the old job is no longer the latest on its item: no second retry from it
    testapp.post(f"/staff/jobs/{failed}/retry", {"csrf_token": token}, status=303)
    assert max(pending(app)) == new
    assert "Không thể thử lại" in testapp.get(f"/staff/jobs/{failed}").text
    # and the digitization page shows the same new job
    assert testapp.get(url + "digitize-status.json").json["job"]["id"] == new


def test_a_done_job_cannot_be_retried(app, testapp, world):
    sign_in(testapp, "quanly")
    job_id = world["jobs"]["global"]
    token = csrf_token(testapp, f"/staff/jobs/{job_id}")
    testapp.post(f"/staff/jobs/{job_id}/retry", {"csrf_token": token}, status=303)
    assert pending(app) == [] and job_row(app, job_id).status == "done"


def test_a_cancelled_job_is_never_run(app, testapp, portal, make_user, sql_backend):
    make_item(portal)
    make_user("quanly", roles=["Manager"])
    ran = []
    kinds(app.registry)["works"] = lambda ctx: ran.append(ctx.job_id)
    job_id = add_job(app, "works", site="bmt")
    sign_in(testapp, "quanly")
    page = testapp.get(f"/staff/jobs/{job_id}")
    assert "Hủy công việc" in page.text
    response = testapp.post(f"/staff/jobs/{job_id}/cancel",
                            {"csrf_token": csrf_token(testapp, f"/staff/jobs/{job_id}")},
                            status=303)
    assert f"Đã hủy công việc {job_id}; nó sẽ không chạy." in response.follow().text
    assert run_job(app.registry, job_id) is None                 # the runner skips it
    assert run_queued(app) == {} and ran == []
    job = job_row(app, job_id)
    assert job.status == "cancelled" and job.attempts == 0 and "quanly" in job.message_vi
    assert "Đã hủy" in testapp.get("/staff/jobs").text
    # a job already running cannot be cancelled
    running = add_job(app, "works", site="bmt", status="running")
    testapp.post(f"/staff/jobs/{running}/cancel",
                 {"csrf_token": csrf_token(testapp, f"/staff/jobs/{running}")}, status=303)
    assert job_row(app, running).status == "running"
    assert "đã bắt đầu hoặc đã kết thúc" in testapp.get(f"/staff/jobs/{running}").text


def test_actions_without_the_csrf_token_are_refused(app, testapp, world):
    sign_in(testapp, "quanly")
    queued, failed = world["jobs"]["bmt"], world["jobs"]["tuy-hoa"]
    testapp.post(f"/staff/jobs/{queued}/cancel", {}, status=400)
    testapp.post(f"/staff/jobs/{failed}/retry", {"csrf_token": "wrong"}, status=400)
    assert job_row(app, queued).status == "queued" and pending(app) == []


@pytest.mark.parametrize("who, sees", [
    ("quanly", {"bmt", "tuy-hoa", "global"}),
    ("quantri-bmt", {"bmt"}),
    ("thuthu-bmt", {"bmt"}),
    ("thuthu-th", {"tuy-hoa"}),
])
def test_staff_see_and_act_on_the_jobs_of_their_sites_only(app, testapp, world, who, sees):
    sign_in(testapp, who)
    jobs = world["jobs"]
    assert set(listed(testapp.get("/staff/jobs"))) == {jobs[k] for k in sees}
    for key, job_id in jobs.items():
        testapp.get(f"/staff/jobs/{job_id}", status=200 if key in sees else 403)
    # a site filter outside their sites shows nothing of that site
    if "tuy-hoa" not in sees:
        page = testapp.get("/staff/jobs", {"site": "tuy-hoa"})
        assert jobs["tuy-hoa"] not in listed(page)
    token = csrf_token(testapp, "/staff/jobs")
    allowed = "tuy-hoa" in sees
    testapp.post(f"/staff/jobs/{jobs['tuy-hoa']}/retry", {"csrf_token": token},
                 status=303 if allowed else 403)
    assert (pending(app) != []) == allowed
    testapp.post(f"/staff/jobs/{jobs['bmt']}/cancel", {"csrf_token": token},
                 status=303 if "bmt" in sees else 403)
    assert job_row(app, jobs["bmt"]).status == ("cancelled" if "bmt" in sees else "queued")


@pytest.mark.parametrize("who", ["bandoc", None])
def test_readers_and_anonymous_visitors_are_kept_out(app, testapp, world, who):
    if who:
        sign_in(testapp, who)
    job_id = world["jobs"]["bmt"]
    for path in ("/staff/jobs", f"/staff/jobs/{job_id}"):
        response = testapp.get(path, status=403 if who else 303)
        if not who:
            assert "/login" in response.location
    if who:
        token = csrf_token(testapp, "/password")
        testapp.post(f"/staff/jobs/{job_id}/cancel", {"csrf_token": token}, status=403)
    else:
        testapp.post(f"/staff/jobs/{job_id}/cancel", {}, status=400)    # no session, no token
    assert job_row(app, job_id).status == "queued"
