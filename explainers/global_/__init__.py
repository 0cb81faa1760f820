"""Global explanations of a model over a dataset (issue 16 §2): what it learned overall, per group.

Transformers classifiers: :func:`~explainers.global_.text.text_global` clusters hidden activations
(``clusters.py``) and summarises attention to protected words beside integrated gradients (``attention.py``).
Tabular models: :func:`~explainers.global_.tabular.tabular_global`, SHAP importance per group and partial
dependence on the protected column and its proxies. Modules load torch, transformers or shap only when imported.
"""
