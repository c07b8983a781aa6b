"""The ``singan.v1`` API, generated from proto/singan/v1/singan.proto by proto/generate.py.

``singan_pb2``: messages; ``singan_grpc``: grpclib (pure-Python) client stub and server base;
``singan_pb2_grpc``: grpcio servicer base. Never edit these by hand; run ``python proto/generate.py``.
``job_state`` (hand-written): the ``JobState`` enum as Python, shared by the server and the client.
"""
