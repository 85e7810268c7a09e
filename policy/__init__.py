"""The CrossGuard policy pack (`__main__.py`) and its rules as plain functions (`rules.py`)."""
