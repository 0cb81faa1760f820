"""Registering models: `model_register` with one of the sources is the only public entry point; a deferred upload
is completed by the worker (`model_register_complete`)."""

from ._decisions import register_dataset_scores
from ._deferred import model_register_complete, model_register_sweep
from .register import DecisionColumn, ModelBuiltin, ModelFile, ModelServerPath, ModelSource, model_register

__all__ = [
    "DecisionColumn",
    "ModelBuiltin",
    "ModelFile",
    "ModelServerPath",
    "ModelSource",
    "model_register",
    "model_register_complete",
    "model_register_sweep",
    "register_dataset_scores",
]
