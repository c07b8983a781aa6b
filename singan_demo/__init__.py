"""``singan-demo``: the server and the pure-Python client end to end (see ``__main__``).

It lives outside ``inference_server`` because it is a client of the server: the server never imports
``host_plugin``.
"""
