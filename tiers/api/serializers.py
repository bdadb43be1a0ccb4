from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..criteria import missing_for_next_tier
from ..models import EvaluationRun, PartnerScore, TierProposal


class RunSerializer(serializers.ModelSerializer):
    period = serializers.CharField(help_text="The quarter evaluated at its start, e.g. 2026Q4.")

    class Meta:
        model = EvaluationRun
        fields = ["id", "period", "year", "quarter", "status", "model", "total", "scored",
                  "proposals", "error", "created_by", "created_at", "finished_at"]  # fmt: skip
        read_only_fields = [f for f in fields if f != "period"]

    def to_representation(self, instance: EvaluationRun) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["period"] = str(instance.period)
        request = self.context.get("request")
        if not getattr(getattr(request, "user", None), "sees_all_partners", False):
            # company-wide counts say how big other portfolios are: progress only
            data.update(total=None, scored=None, proposals=None, error="")
            data["percent_done"] = instance.percent_done
        return data


class ScoreSerializer(serializers.ModelSerializer):
    """A partner's score in a run: each criterion's points (null: no data), weight share and
    inputs, and `missing_for_next_tier` in the caller's language."""

    missing_for_next_tier = serializers.SerializerMethodField()

    class Meta:
        model = PartnerScore
        fields = ["id", "run", "partner", "current_tier", "earned_tier", "score", "criteria",
                  "proposed_tier", "missing_for_next_tier"]  # fmt: skip
        read_only_fields = fields

    def get_missing_for_next_tier(self, score: PartnerScore) -> list[str]:
        run = score.run
        return missing_for_next_tier(
            score.criteria, score.score, score.earned_tier, run.model, run.tier_averages
        )


class ProposalSerializer(serializers.ModelSerializer):
    score = ScoreSerializer(read_only=True)

    class Meta:
        model = TierProposal
        fields = ["id", "run", "partner", "from_tier", "to_tier", "direction", "status",
                  "score", "comment", "decided_by", "decided_at", "effective_on"]  # fmt: skip
        read_only_fields = fields


class ApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    effective_on = serializers.DateField(required=False)


class RejectSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=2000)


class DecideSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=5000)
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    effective_on = serializers.DateField(required=False)
