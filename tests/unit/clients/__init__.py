"""Tests of the source clients: real HTTP servers on 127.0.0.1 and moto for AWS (no Spark)."""
