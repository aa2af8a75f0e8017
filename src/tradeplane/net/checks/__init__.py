"""Built-in verification checks, one module per check (discovered by ``tradeplane.net.verify``).

Add a check: a new module here with a function decorated by
``tradeplane.net.checks.base.register(id, severity=..., proves=..., order=...)``; nothing else to edit.
"""
