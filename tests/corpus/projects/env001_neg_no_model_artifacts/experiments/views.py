"""Endpoints the training jobs call to record their results."""
import json

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from .models import Experiment, Metric


@require_POST
def record(request):
    payload = json.loads(request.body)
    model, _ = Experiment.objects.get_or_create(name=payload["name"], defaults={"owner": payload["owner"]})
    model.owner = payload["owner"]
    model.save()
    for key, value in payload["metrics"].items():
        Metric(experiment=model, key=key, value=float(value)).save()
    return JsonResponse({"id": model.pk})
