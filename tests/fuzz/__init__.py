"""The fuzz suite's parts: request values, hostile shapes, the seeded world, and the checks.

tests/test_fuzz.py drives every form and POST endpoint with them.
"""
