"""The WYNTEK service worker (Qt-free): verifies what Storage holds for each submitted job
and runs the periodic service tasks, on a procrastinate queue in the project's Postgres.

    python -m wyntek_service worker          verify jobs and run periodic tasks
    python -m wyntek_service run-once NAME   one periodic task now (e.g. orphans)
    python -m wyntek_service verify JOB_ID   verify one job now, without the queue

It talks to Supabase only through its HTTP APIs with the service role (REST for rows and
functions, Storage for files); the database URL is used for the queue alone.
"""
