"""One module per demo. Each ends by registering its `Demo` (see demos/registry.py), and is
found by `registry.discover()`: adding a demo is adding a module here, its template, its
script under static/showcase/tricks/ (if any) and its tests."""
