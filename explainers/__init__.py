"""Pure-Python fairness and explainability library of the audit platform.

Arrays, DataFrames or model objects go in; frozen dataclasses come out. Nothing here imports Django or the
``audits`` app, so the same code runs in a Celery worker, a notebook or a CLI (design.md §2).
"""
