"""pytest plugins (fixtures) for the whole suite, loaded by `pytest_plugins` in tests/conftest.py."""
