"""What-if of a model: the request and the result JSON (documented field by field for the OpenAPI schema)."""

from rest_framework import serializers


class WhatIfInputSerializer(serializers.Serializer):
    """A text (text classifiers) or a row (tabular models); a dataset row can stand in for either."""

    text = serializers.CharField(required=False, allow_blank=True, help_text="Text classifiers: the text to score.")
    lexicon = serializers.CharField(
        required=False, allow_blank=True, help_text="Text: the lexicon whose groups the variants swap (gender)."
    )
    dataset = serializers.IntegerField(
        required=False, allow_null=True, help_text="A dataset of the workspace: the row to start from (tabular)."
    )
    row = serializers.IntegerField(required=False, allow_null=True, min_value=0, help_text="Row number in dataset.")
    values = serializers.DictField(
        required=False, help_text="Tabular: column -> value, overriding the dataset row's values."
    )
    attribute = serializers.CharField(
        required=False, allow_blank=True, help_text="Tabular: the protected attribute (name or column) to vary."
    )
    report = serializers.IntegerField(
        required=False, allow_null=True, help_text="Save the result as evidence on this report (same workspace)."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class WhatIfVariantSerializer(serializers.Serializer):
    source_group = serializers.CharField()
    target_group = serializers.CharField()
    text = serializers.CharField(allow_null=True, help_text="The rewritten text (text); null for a tabular variant.")
    n_substitutions = serializers.IntegerField(help_text="Words swapped (text); 0 for tabular.")
    score = serializers.FloatField(help_text="Probability of the favourable class.")
    decision = serializers.BooleanField(help_text="True: the favourable decision.")
    delta = serializers.FloatField(help_text="score(variant) - score(input), as in the probes.")
    flipped = serializers.BooleanField()


class WhatIfAttributionSerializer(serializers.Serializer):
    method = serializers.CharField(help_text="integrated_gradients, occlusion, shap_tree or shap_permutation.")
    names = serializers.ListField(child=serializers.CharField(), help_text="Words (text) or feature columns.")
    values = serializers.ListField(
        child=serializers.JSONField(), allow_null=True, help_text="Tabular: the row's value of each feature."
    )
    weights = serializers.ListField(child=serializers.FloatField(allow_null=True), help_text="Raw attributions.")
    protected = serializers.ListField(child=serializers.BooleanField())
    base_value = serializers.FloatField(allow_null=True)
    note = serializers.CharField(allow_null=True)


class WhatIfResultSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["text", "tabular"])
    attribute = serializers.CharField(help_text="The lexicon (text) or the protected column (tabular).")
    groups = serializers.ListField(child=serializers.CharField())
    own_group = serializers.ListField(child=serializers.CharField())
    score = serializers.FloatField()
    decision = serializers.BooleanField()
    variants = WhatIfVariantSerializer(many=True)
    attribution = WhatIfAttributionSerializer()


class WhatIfResponseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["done", "pending"], help_text="pending: POST the same input again.")
    model = serializers.IntegerField()
    input_sha256 = serializers.CharField()
    result = WhatIfResultSerializer(allow_null=True)
    evidence = serializers.IntegerField(allow_null=True, help_text="The saved evidence's id, when report was given.")
