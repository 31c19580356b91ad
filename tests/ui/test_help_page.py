"""Help page: the job a support message is about, chosen among many jobs."""

from __future__ import annotations

from tests.support.jobs import make_jobs
from wyntek_desktop.ui.pages.help import JOB_CHOICES, HelpPage
from wyntek_desktop.ui.services import Services


def test_job_choices_are_the_newest_and_keep_the_chosen_one(qtbot) -> None:
    services = Services()
    page = HelpPage(services)
    qtbot.addWidget(page)
    try:
        jobs = make_jobs(1000)  # job i was last changed i minutes after the first
        page.set_jobs(jobs)
        assert page.job.count() == 1  # "No particular job": the list waits to be seen
        page.show()
        page.page_shown()
        assert page.job.count() == JOB_CHOICES + 1
        assert page.job.itemData(0) is None and page.job.itemData(1) == jobs[-1].id
        old = jobs[0]
        page.set_jobs([old])  # e.g. a filter-free list with just this job
        page.job.setCurrentIndex(page.job.findData(old.id))
        page.set_jobs(jobs)  # the chosen job is older than every one listed
        assert page.job.currentData() == old.id
        assert page.job.count() == JOB_CHOICES + 2
    finally:
        page.shutdown()
        services.shutdown()
