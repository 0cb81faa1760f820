"""Registering models: `model_register` with one of the sources is the only public entry point."""

from ._decisions import register_dataset_scores
from .register import DecisionColumn, ModelBuiltin, ModelFile, ModelServerPath, ModelSource, model_register

__all__ = [
    "DecisionColumn",
    "ModelBuiltin",
    "ModelFile",
    "ModelServerPath",
    "ModelSource",
    "model_register",
    "register_dataset_scores",
]
