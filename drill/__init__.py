"""`make drill`: the reliability drill against the local stack (see `drill.__main__`)."""
