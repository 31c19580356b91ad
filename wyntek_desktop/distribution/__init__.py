"""What ships with the app: version and licence facts (``about``) and the frozen build's
self-test (``selftest``). Qt is imported only inside the self-test's GUI checks."""
