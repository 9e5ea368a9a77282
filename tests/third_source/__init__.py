"""A third source, a lending library, kept beside the tests: proof that a source is one folder.

Nothing outside this folder names it. `settings.py` installs it over the project's settings,
and `tests/test_third_source.py` runs `when_installed.py` under those settings in a process of
its own, so the main test run neither collects it nor needs its tables.
"""
