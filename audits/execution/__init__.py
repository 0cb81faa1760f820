"""Running an audit's stages inside the app: models loaded from storage and checked against their registered
sha256, predictions cached in the Django cache, probes, attributions and their artifacts.

The pure computation (counting, merging, metrics) lives in explainers.pipeline; the services hand it what it
needs from the app, such as the loaded model of a plan (model_runner.spec_runner).
"""
