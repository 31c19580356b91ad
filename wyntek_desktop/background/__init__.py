"""Background work without Qt: the cancellation signal and the helper-process pool.

The GUI's thread pool (``ui.workers``) and the upload runner build on these; design
functions take a ``state`` and raise ``Cancelled`` when the user gives up.
"""
