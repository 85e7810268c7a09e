"""The test suite; its folders mirror the source tree (docs/development.md)."""
