"""What the tests share besides fixtures: import helpers from here, fixtures come from conftest.py by name."""
