"""Registering models: `model_register` with one of the sources is the only public entry point."""

from .register import DecisionColumn, ModelBuiltin, ModelFile, ModelServerPath, ModelSource, model_register

__all__ = ["DecisionColumn", "ModelBuiltin", "ModelFile", "ModelServerPath", "ModelSource", "model_register"]
